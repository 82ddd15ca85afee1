"""Done-when of the census issue: the demo catalog exported to the templates and imported into
an empty store comes back identical — through .xlsx and through .csv — and importing it
again changes no version."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.census.importer import import_files
from catalog.census.writer import export_csv, export_workbook
from catalog.demo import demo_entities
from catalog.ledger import Ledger
from catalog.model import KIND_OF, Entity
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore


def stored(ledger: Ledger, entities: list[Entity]) -> dict[tuple[object, str], tuple[Entity, int]]:
    found = ledger.get_many(refs=[(KIND_OF[type(e)], e.code) for e in entities])
    return {key: (s.entity, s.version) for key, s in found.items()}


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_the_demo_catalog_round_trips(tmp_path: Path, form: str) -> None:
    entities = demo_entities()
    if form == "xlsx":
        export_workbook(entities, tmp_path / "普查总表.xlsx")
        files = [tmp_path / "普查总表.xlsx"]
    else:
        files = export_csv(entities, tmp_path / "csv")
    ledger = Ledger(store=SqliteGraphStore(tmp_path / "graph.db"))
    report = import_files(files, ledger=ledger, principal=SYSTEM_PRINCIPAL)
    assert report.ok, [p.line() for p in report.problems[:5]]
    assert (report.created, report.entities) == (len(entities), len(entities))
    back = stored(ledger, entities)
    assert len(back) == len(entities)
    mismatched = [e.code for e in entities if back[(KIND_OF[type(e)], e.code)][0] != e]
    assert mismatched == []
    again = import_files(files, ledger=ledger, principal=SYSTEM_PRINCIPAL)
    assert (again.written, again.unchanged) == (False, len(entities))
    assert stored(ledger, entities) == back
    assert {version for _e, version in back.values()} == {1}
