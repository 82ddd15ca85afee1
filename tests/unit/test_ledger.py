"""Use cases of the ledger over the embedded store: rules, ownership, lifecycle, concurrency."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from catalog.ledger import Ledger, ListFilter
from catalog.model import Dataset, DatasetField, Kind, Lifecycle, OpenType, SharingType, System
from catalog.principal import SYSTEM_PRINCIPAL, Principal, Role
from catalog.problems import Conflict, Forbidden, NotFound, ValidationFailed
from graph.sqlite_store import SqliteGraphStore
from tests.factories import GAJ, SCJG, small_ledger

SCJG_OPERATOR = Principal(
    client_id="c1", name="市场监管 业务员", role=Role.DEPARTMENT, department=SCJG
)
INTEGRATOR = Principal(client_id="c2", name="集成商", role=Role.INTEGRATOR)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(store=SqliteGraphStore(tmp_path / "g.db"))
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    return ledger


def new_system(code: str = "SYS-SCJG-9", **kw: Any) -> System:
    return System(code=code, name="注册登记系统", department=SCJG, **kw)


def test_register_records_who_and_the_first_lifecycle_event(ledger: Ledger) -> None:
    stored = ledger.register(principal=SCJG_OPERATOR, entity=new_system())
    assert stored.version == 1
    assert stored.updated_by == SCJG_OPERATOR.name
    assert isinstance(stored.entity, System)
    [event] = stored.entity.lifecycle_events
    assert (event.from_state, event.to_state, event.by) == (
        None,
        Lifecycle.PLANNED,
        SCJG_OPERATOR.name,
    )


def test_register_same_code_twice_is_a_conflict(ledger: Ledger) -> None:
    ledger.register(principal=SCJG_OPERATOR, entity=new_system())
    with pytest.raises(Conflict):
        ledger.register(principal=SCJG_OPERATOR, entity=new_system())


def test_other_departments_resources_are_forbidden(ledger: Ledger) -> None:
    with pytest.raises(Forbidden):
        ledger.register(
            principal=SCJG_OPERATOR, entity=dataclasses.replace(new_system(), department=GAJ)
        )
    with pytest.raises(Forbidden):
        ledger.update(
            principal=SCJG_OPERATOR, kind=Kind.SYSTEM, code="SYS-GAJ-1", changes={"name": "x"}
        )
    with pytest.raises(Forbidden):
        ledger.register(principal=INTEGRATOR, entity=new_system())
    assert ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-9") is None


def test_every_broken_rule_is_reported_with_its_path(ledger: Ledger) -> None:
    bad = Dataset(
        code="坏 code",
        name="",
        department=SCJG[:-1] + ("0" if SCJG[-1] != "0" else "1"),
        summary="s",
        sharing_type=SharingType.NOT_SHARED,
        open_type=OpenType.UNCONDITIONAL,
        fields=(DatasetField(name="a", data_element="DE9999"), DatasetField(name="a")),
    )
    with pytest.raises(ValidationFailed) as caught:
        ledger.load(principal=SYSTEM_PRINCIPAL, entities=[bad])
    issues = {(i.path, i.code) for i in caught.value.issues}
    assert ("[0].code", "FORMAT") in issues
    assert ("[0].name", "REQUIRED") in issues
    assert ("[0].department", "USCC_CHECK_CHAR") in issues
    assert ("[0].openType", "NOT_SHARED_IMPLIES_NOT_OPEN") in issues
    assert ("[0].fields[1]", "DUPLICATE") in issues
    assert ("[0].fields[0].dataElement", "UNKNOWN_DATA_ELEMENT") in issues
    assert all(i.message and i.message_en for i in caught.value.issues)


def test_unknown_reference_is_refused_and_nothing_written(ledger: Ledger) -> None:
    with pytest.raises(ValidationFailed) as caught:
        ledger.register(principal=SCJG_OPERATOR, entity=new_system(components=("CMP-NOPE",)))
    assert [(i.path, i.code) for i in caught.value.issues] == [
        ("components[0]", "UNKNOWN_COMPONENT")
    ]
    assert ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-9") is None


def test_lifecycle_moves_only_forward_and_keeps_history(ledger: Ledger) -> None:
    ledger.register(principal=SCJG_OPERATOR, entity=new_system())
    ledger.move_lifecycle(principal=SCJG_OPERATOR, code="SYS-SCJG-9", to=Lifecycle.DEVELOPING)
    moved = ledger.move_lifecycle(
        principal=SCJG_OPERATOR, code="SYS-SCJG-9", to=Lifecycle.OPERATING, note="上线"
    )
    assert isinstance(moved.entity, System)
    assert [e.to_state for e in moved.entity.lifecycle_events] == [
        Lifecycle.PLANNED,
        Lifecycle.DEVELOPING,
        Lifecycle.OPERATING,
    ]
    with pytest.raises(ValidationFailed) as caught:
        ledger.move_lifecycle(principal=SCJG_OPERATOR, code="SYS-SCJG-9", to=Lifecycle.PLANNED)
    assert caught.value.issues[0].code == "LIFECYCLE_BACKWARD"
    with pytest.raises(ValidationFailed):
        ledger.move_lifecycle(principal=SCJG_OPERATOR, code="SYS-SCJG-9", to=Lifecycle.OPERATING)
    stored = ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-9")
    assert stored is not None
    assert stored.version == 3


def test_lifecycle_cannot_be_patched(ledger: Ledger) -> None:
    with pytest.raises(ValidationFailed):
        ledger.update(
            principal=SCJG_OPERATOR,
            kind=Kind.SYSTEM,
            code="SYS-SCJG-1",
            changes={"lifecycle": Lifecycle.PLANNED},
        )


def test_stale_expected_version_is_a_conflict(ledger: Ledger) -> None:
    with pytest.raises(Conflict):
        ledger.update(
            principal=SCJG_OPERATOR,
            kind=Kind.SYSTEM,
            code="SYS-SCJG-1",
            changes={"summary": "x"},
            expected_version=7,
        )


def test_update_of_missing_code_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound):
        ledger.update(
            principal=SCJG_OPERATOR, kind=Kind.SYSTEM, code="SYS-NONE", changes={"name": "x"}
        )


def test_only_admin_moves_a_resource_between_departments(ledger: Ledger) -> None:
    with pytest.raises(Forbidden):
        ledger.update(
            principal=SCJG_OPERATOR,
            kind=Kind.SYSTEM,
            code="SYS-SCJG-1",
            changes={"department": GAJ},
        )
    moved = ledger.update(
        principal=SYSTEM_PRINCIPAL, kind=Kind.SYSTEM, code="SYS-SCJG-1", changes={"department": GAJ}
    )
    assert moved.entity.department == GAJ  # type: ignore[union-attr]


def test_concurrent_patches_of_different_fields_all_survive(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    Ledger(store=SqliteGraphStore(path)).load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    fields = ["summary", "functions", "network", "contact"]
    errors: list[BaseException] = []

    def patch(field: str) -> None:
        ledger = Ledger(store=SqliteGraphStore(path))
        try:
            for i in range(10):
                ledger.update(
                    principal=SCJG_OPERATOR,
                    kind=Kind.SYSTEM,
                    code="SYS-SCJG-1",
                    changes={field: f"{field}-{i}"},
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=patch, args=(f,)) for f in fields]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = Ledger(store=SqliteGraphStore(path)).get(kind=Kind.SYSTEM, code="SYS-SCJG-1")
    assert stored is not None
    assert stored.version == 1 + 10 * len(fields)
    for field in fields:
        assert getattr(stored.entity, field) == f"{field}-9"


def test_pages_are_keyset_ordered_and_capped(ledger: Ledger) -> None:
    first = ledger.page(kind=Kind.DEPARTMENT, filter=ListFilter(), after=None, first=2)
    assert first.has_next
    assert len(first.items) == 2
    rest = ledger.page(
        kind=Kind.DEPARTMENT, filter=ListFilter(), after=first.items[-1].entity.code, first=2
    )
    assert not rest.has_next
    assert len(rest.items) == 1
    with pytest.raises(ValidationFailed):
        ledger.page(kind=Kind.DEPARTMENT, filter=ListFilter(), after=None, first=101)


def test_search_finds_resources_by_department_words(ledger: Ledger) -> None:
    hits = [s.entity.code for s in ledger.search(text="市场监管", kinds=[], first=20)]
    assert hits[0] == SCJG
    assert "SYS-SCJG-1" in hits
    assert [
        s.entity.name
        for s in ledger.search(text="营业执照", kinds=[Kind.CERTIFICATE_TYPE], first=5)
    ] == ["营业执照"]


def test_summary_counts_per_department_and_lifecycle(ledger: Ledger) -> None:
    summary = ledger.summary()
    assert summary.totals[Kind.DEPARTMENT] == 3
    assert summary.totals[Kind.SYSTEM] == 2
    assert summary.lifecycle == {Lifecycle.OPERATING: 1, Lifecycle.DEVELOPING: 1}
    scjg = next(d for d in summary.departments if d.department == SCJG)
    assert scjg.counts[Kind.DATASET] == 1
    assert scjg.lifecycle == {Lifecycle.OPERATING: 1}
