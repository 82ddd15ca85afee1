"""Lineage over the ledger: graphs as of a date, paths, impact, classification along lineage,
and the refusal to decommission a system others depend on."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.ledger import Ledger
from catalog.lineage import Lineage, LineageDirection
from catalog.model import (
    Dataset,
    DatasetField,
    Derivation,
    FieldMapping,
    Grade,
    Kind,
    Lifecycle,
    SharingType,
)
from catalog.principal import SYSTEM_PRINCIPAL, Principal, Role
from catalog.problems import Conflict, Forbidden, NotFound, ValidationFailed
from catalog.relations import ref
from graph.port import Edge, NodeRef
from graph.sqlite_store import SqliteGraphStore
from tests.factories import GAJ, SCJG, small_ledger

OPERATOR = Principal(client_id="c", name="市场监管", role=Role.DEPARTMENT, department=SCJG)
T2020 = datetime(2020, 1, 1, tzinfo=UTC)
T2024 = datetime(2024, 1, 1, tzinfo=UTC)


def derived(code: str, *sources: Derivation, **kw: object) -> Dataset:
    return Dataset(
        code=code,
        name=f"派生资源{code}",
        department=SCJG,
        summary="派生",
        sharing_condition="按需",
        fields=(DatasetField(name="企业名称"),),
        derived_from=sources,
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(store=SqliteGraphStore(tmp_path / "g.db"))
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    ledger.load(
        principal=SYSTEM_PRINCIPAL,
        entities=[
            derived(
                "DS-A",
                Derivation(
                    source="DS-SCJG-1",
                    job="etl-a",
                    since=T2020,
                    fields=(FieldMapping(source_field="企业名称", target_field="企业名称"),),
                ),
            ),
            derived("DS-B", Derivation(source="DS-A", job="etl-b", since=T2024)),
        ],
    )
    return ledger


def lineage(ledger: Ledger) -> Lineage:
    return Lineage(store=ledger._store)


def test_upstream_and_downstream_with_signed_depths(ledger: Ledger) -> None:
    g = lineage(ledger).graph(
        root=ref(Kind.DATASET, "DS-A"), direction=LineageDirection.BOTH, depth=3
    )
    assert g.nodes[ref(Kind.DATASET, "DS-SCJG-1")] == -1
    assert g.nodes[ref(Kind.SYSTEM, "SYS-SCJG-1")] == -2
    assert g.nodes[ref(Kind.DATASET, "DS-B")] == 1
    edge = next(
        e for e in g.edges if e.source == ref(Kind.DATASET, "DS-A") and e.type == "DERIVED_FROM"
    )
    assert edge.props["job"] == "etl-a"
    assert edge.props["fields"] == [{"source": "企业名称", "target": "企业名称"}]


def ids(e: Edge) -> tuple[NodeRef, str, NodeRef, str]:
    return (e.source, e.type, e.target, e.key)


def test_one_direction_is_the_store_walk_with_signed_depths(ledger: Ledger) -> None:
    root = ref(Kind.DATASET, "DS-A")
    both = lineage(ledger).graph(root=root, direction=LineageDirection.BOTH, depth=3)
    for direction, sign in ((LineageDirection.UPSTREAM, -1), (LineageDirection.DOWNSTREAM, 1)):
        g = lineage(ledger).graph(root=root, direction=direction, depth=3)
        assert g.nodes == {n: d for n, d in both.nodes.items() if d * sign >= 0}
        assert g.edges == sorted(g.edges, key=ids)
        assert [e for e in both.edges if ids(e) in {ids(f) for f in g.edges}] == g.edges
        assert not g.truncated
        with pytest.raises(NotFound):
            lineage(ledger).graph(root=ref(Kind.DATASET, "DS-NONE"), direction=direction, depth=2)
    up = lineage(ledger).graph(root=root, direction=LineageDirection.UPSTREAM, depth=3)
    down = lineage(ledger).graph(root=root, direction=LineageDirection.DOWNSTREAM, depth=3)
    assert {ids(e) for e in [*up.edges, *down.edges]} == {ids(e) for e in both.edges}


def test_as_of_hides_edges_not_yet_observed(ledger: Ledger) -> None:
    g = lineage(ledger).graph(
        root=ref(Kind.DATASET, "DS-B"),
        direction=LineageDirection.UPSTREAM,
        depth=5,
        as_of=datetime(2022, 6, 1, tzinfo=UTC),
    )
    assert ref(Kind.DATASET, "DS-A") not in g.nodes
    g = lineage(ledger).graph(
        root=ref(Kind.DATASET, "DS-B"), direction=LineageDirection.UPSTREAM, depth=5
    )
    assert ref(Kind.DATASET, "DS-SCJG-1") in g.nodes


def test_limits_and_bad_input(ledger: Ledger) -> None:
    with pytest.raises(ValidationFailed):
        lineage(ledger).graph(
            root=ref(Kind.DATASET, "DS-A"), direction=LineageDirection.BOTH, depth=0
        )
    with pytest.raises(ValidationFailed):
        lineage(ledger).graph(
            root=ref(Kind.DATASET, "DS-A"), direction=LineageDirection.BOTH, depth=11
        )
    with pytest.raises(NotFound):
        lineage(ledger).graph(
            root=ref(Kind.DATASET, "DS-NONE"), direction=LineageDirection.BOTH, depth=2
        )
    g = lineage(ledger).graph(
        root=ref(Kind.DATASET, "DS-A"), direction=LineageDirection.BOTH, depth=5, limit=1
    )
    assert g.truncated


def test_path_and_impact(ledger: Ledger) -> None:
    path = lineage(ledger).path(
        source=ref(Kind.DATASET, "DS-B"), target=ref(Kind.DATASET, "DS-SCJG-1")
    )
    assert [(e.source.code, e.target.code) for e in path] == [
        ("DS-B", "DS-A"),
        ("DS-A", "DS-SCJG-1"),
    ]
    impact = lineage(ledger).impact(root=ref(Kind.DATASET, "DS-SCJG-1"))
    assert impact.affected[Kind.DATASET] == ["DS-A", "DS-B"]
    assert impact.affected[Kind.CERTIFICATE_TYPE] == [SCJG + "001"]
    assert impact.affected[Kind.MATTER] == ["MAT-SCJG-1"]  # requires the e-license as material


def test_classification_conflicts_are_refused_with_their_chain(ledger: Ledger) -> None:
    low = dataclasses.replace(
        derived("DS-C", Derivation(source="DS-GAJ-2")),
        grade=Grade.GENERAL,
        sharing_type=SharingType.UNCONDITIONAL,
    )
    with pytest.raises(ValidationFailed) as caught:
        ledger.register(principal=SYSTEM_PRINCIPAL, entity=low)
    codes = {i.code: i for i in caught.value.issues}
    assert "DERIVED_FROM_NOT_SHARED" in codes
    assert "DS-C ← DS-GAJ-2" in codes["DERIVED_FROM_NOT_SHARED"].message
    # indirect: DS-D (conditional, from not-shared) then DS-E unconditional from DS-D
    ledger.register(
        principal=SYSTEM_PRINCIPAL,
        entity=dataclasses.replace(derived("DS-D", Derivation(source="DS-GAJ-2")), department=GAJ),
    )
    with pytest.raises(ValidationFailed) as caught:
        ledger.register(
            principal=SYSTEM_PRINCIPAL,
            entity=dataclasses.replace(
                derived("DS-E", Derivation(source="DS-D")), sharing_type=SharingType.UNCONDITIONAL
            ),
        )
    assert "DS-E ← DS-D ← DS-GAJ-2" in caught.value.issues[0].message
    important = dataclasses.replace(
        ledger.get(kind=Kind.DATASET, code="DS-SCJG-1").entity, grade=Grade.CORE
    )  # type: ignore[union-attr]
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=[important])
    with pytest.raises(ValidationFailed) as caught:
        ledger.update(principal=OPERATOR, kind=Kind.DATASET, code="DS-A", changes={"summary": "x"})
    assert caught.value.issues[0].code == "GRADE_BELOW_SOURCE"


def test_decommissioning_a_depended_on_system_needs_an_admin_and_force(ledger: Ledger) -> None:
    with pytest.raises(Conflict) as caught:
        ledger.move_lifecycle(principal=OPERATOR, code="SYS-SCJG-1", to=Lifecycle.DECOMMISSIONED)
    assert "DS-SCJG-1" in caught.value.message
    with pytest.raises(Forbidden):
        ledger.move_lifecycle(
            principal=OPERATOR, code="SYS-SCJG-1", to=Lifecycle.DECOMMISSIONED, force=True
        )
    moved = ledger.move_lifecycle(
        principal=SYSTEM_PRINCIPAL, code="SYS-SCJG-1", to=Lifecycle.DECOMMISSIONED, force=True
    )
    assert moved.entity.lifecycle is Lifecycle.DECOMMISSIONED  # type: ignore[union-attr]


def test_conflicts_that_arise_later_are_reported(ledger: Ledger) -> None:
    assert lineage(ledger).conflicts() == []
    source = ledger.get(kind=Kind.DATASET, code="DS-SCJG-1")
    assert source is not None
    ledger.load(
        principal=SYSTEM_PRINCIPAL, entities=[dataclasses.replace(source.entity, grade=Grade.CORE)]
    )  # type: ignore[type-var]
    found = lineage(ledger).conflicts()
    assert [(code, issue.code) for code, issue in found] == [("DS-A", "GRADE_BELOW_SOURCE")]
