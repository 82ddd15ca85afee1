"""Entities survive the trip to stored props and back (the generated loaders included), with
every value of its declared type."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from catalog import model
from catalog.generator import LedgerSize, generate_ledger
from catalog.mapping import adopt_props, from_props, to_props


def _same(rebuilt: object, entity: object) -> None:
    # repr too: a StrEnum member equals its plain string, but must come back as the member
    assert rebuilt == entity
    assert repr(rebuilt) == repr(entity)


def test_every_kind_round_trips() -> None:
    entities: list[object] = list(generate_ledger(seed=5, size=LedgerSize.scaled(3000)).entities)
    first = next(e for e in entities if isinstance(e, model.Dataset))
    entities.append(
        dataclasses.replace(
            first,
            publish_date=date(2024, 5, 6),
            derived_from=(
                model.Derivation(
                    source="D-1",
                    job="j",
                    since=datetime(2024, 1, 2, 3, 4, tzinfo=UTC),
                    fields=(model.FieldMapping(source_field="a", target_field="b"),),
                ),
            ),
        )
    )
    kinds = set()
    for entity in entities:
        _same(from_props(type(entity), to_props(entity)), entity)
        _same(adopt_props(type(entity), to_props(entity)), entity)
        kinds.add(type(entity))
    assert len(kinds) == len(model.KIND_OF)


def test_missing_props_take_their_defaults_and_unknown_ones_are_ignored() -> None:
    _same(from_props(model.DatasetField, {"name": "x"}), model.DatasetField(name="x"))
    props = {**to_props(model.DatasetField(name="y", length=3)), "retired": True}
    _same(from_props(model.DatasetField, props), model.DatasetField(name="y", length=3))


def test_already_typed_values_are_kept() -> None:
    field = model.DatasetField(name="z", data_type=model.FieldType.DATE)
    _same(from_props(model.DatasetField, dict(vars(field))), field)


def test_adopted_props_become_the_entities_own_and_the_rest_is_rebuilt() -> None:
    props = to_props(model.Dataset(code="D", name="n", department="X", summary="s"))
    props["fields"] = [to_props(model.DatasetField(name="a")), {"name": "b", "old": 1}]
    adopted = adopt_props(model.Dataset, props)
    assert vars(adopted) is props  # no copy: the caller gave the dict away
    first, second = adopted.fields
    assert first.data_type is model.FieldType.STRING
    _same(second, model.DatasetField(name="b"))  # defaults filled, unknown key dropped
    _same(adopt_props(model.DatasetField, {"name": "x"}), model.DatasetField(name="x"))
    field = model.DatasetField(name="z", data_type=model.FieldType.DATE)
    _same(adopt_props(model.DatasetField, dict(vars(field))), field)
