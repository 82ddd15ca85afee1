"""The GraphQL objects built for stored entities are what their dataclass `__init__` makes
(some builders fill the instance directly, for speed)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from api.graphql.connection import Edge, connection
from api.graphql.nodes import Dataset as GraphDataset
from api.graphql.nodes import DatasetField, to_node
from catalog import model
from catalog.generator import LedgerSize, generate_ledger
from catalog.model import KIND_OF, Dataset, Derivation, FieldMapping, Stored


def _same_as_init(made: Any) -> None:
    cls = type(made)
    assert not hasattr(cls, "__post_init__")
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    assert set(vars(made)) == names, cls
    assert vars(cls(**{name: getattr(made, name) for name in names})) == vars(made)
    for value in vars(made).values():
        for item in value if isinstance(value, list) else [value]:
            if dataclasses.is_dataclass(item) and not isinstance(item, type):
                _same_as_init(item)


def test_every_kind_builds_what_its_init_builds() -> None:
    entities: list[Any] = list(generate_ledger(seed=3, size=LedgerSize.scaled(3000)).entities)
    at = datetime(2025, 1, 2, tzinfo=UTC)
    derivation = Derivation(
        source="D-1", job="j", since=at, fields=(FieldMapping(source_field="a", target_field="b"),)
    )
    first = next(e for e in entities if isinstance(e, Dataset))
    entities.append(dataclasses.replace(first, derived_from=(derivation,)))
    kinds = set()
    for entity in entities:
        node = to_node(
            Stored(entity=entity, version=2, created_at=at, updated_at=at, updated_by="t")
        )
        _same_as_init(node)
        kinds.add(KIND_OF[type(entity)])
    assert len(kinds) == len(set(KIND_OF.values()))


def test_a_dataset_built_from_its_entity_dict_is_the_one_built_field_by_field() -> None:
    at = datetime(2025, 1, 2, tzinfo=UTC)
    derivation = Derivation(source="D-1", job="j", since=at)
    for entity in generate_ledger(seed=4, size=LedgerSize.scaled(1000)).entities:
        if isinstance(entity, Dataset):
            for e in (entity, dataclasses.replace(entity, derived_from=(derivation,))):
                stored = Stored(entity=e, version=3, created_at=at, updated_at=at, updated_by="u")
                assert vars(GraphDataset.of(stored)) == vars(GraphDataset._of_fields(stored))


def test_domain_fields_serve_as_graphql_dataset_fields() -> None:
    read = {f.name for f in dataclasses.fields(DatasetField) if f.init}
    assert read <= {f.name for f in dataclasses.fields(model.DatasetField)}


def test_connection_edges_are_what_their_init_makes() -> None:
    made = connection([("c1", 1), ("c2", 2)], has_next=False, after=None, count=lambda: 2)
    for edge in made.edges:
        assert vars(edge) == vars(Edge(cursor=edge.cursor, node=edge.node))
    assert [e.cursor for e in made.edges] == ["c1", "c2"]
