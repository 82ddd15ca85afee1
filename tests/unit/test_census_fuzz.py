"""Fuzzed census workbooks: wrong types, bad check characters, merged cells, empty rows,
formulas, huge cells, unknown departments, duplicate codes. The import never crashes, and it
writes everything or nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.census.importer import import_files
from catalog.census.sheets import BY_NAME
from catalog.census.writer import entity_rows
from catalog.codes import make_uscc
from catalog.ledger import Ledger, ListFilter
from catalog.model import KIND_OF, Department, Kind
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore
from tests.factories import departments, small_ledger

CONTENT = [e for e in small_ledger() if not isinstance(e, Department)]
ROWS = entity_rows(CONTENT)  # type: ignore[arg-type]
SHEET_NAMES = [name for name, rows in ROWS.items() if rows]

Defect = tuple[str, str, int, int, Any]
# What a spreadsheet can hold: no control characters (openpyxl refuses to write them).
_PRINTABLE = st.characters(exclude_categories=("Cc", "Cs"))
DEFECTS = ("wrong_type", "check_char", "merge", "empty_rows", "formula", "huge", "unknown_dept",
           "duplicate", "garbage")  # fmt: skip


@st.composite
def defects(draw: st.DrawFn) -> list[Defect]:
    out: list[Defect] = []
    for _ in range(draw(st.integers(0, 4))):
        sheet = draw(st.sampled_from(SHEET_NAMES))
        row = draw(st.integers(0, len(ROWS[sheet]) - 1))
        col = draw(st.integers(0, len(BY_NAME[sheet].columns) - 1))
        kind = draw(st.sampled_from(DEFECTS))
        extra = draw(st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True), st.text(_PRINTABLE, max_size=8),
                               st.booleans(), st.none()))  # fmt: skip
        out.append((kind, sheet, row, col, extra))
    return out


def build(path: Path, found: list[Defect]) -> None:
    sheets = {name: [list(r) for r in rows] for name, rows in ROWS.items() if rows}
    merges: list[tuple[str, str]] = []
    blanks: dict[str, list[int]] = {}
    for kind, sheet, row, col, extra in found:
        cells = sheets[sheet][row]
        if kind == "wrong_type":
            cells[col] = extra
        elif kind == "check_char" and isinstance(cells[col], str) and len(cells[col]) >= 18:
            code = cells[col]
            cells[col] = code[:17] + ("1" if code[17] != "1" else "2") + code[18:]
        elif kind == "merge":
            letter = openpyxl.utils.get_column_letter(col + 1)
            merges.append((sheet, f"{letter}{row + 2}:{letter}{row + 3}"))
        elif kind == "empty_rows":
            blanks.setdefault(sheet, []).append(row)
        elif kind == "formula":
            cells[col] = "=1/0" if extra is None else f"=A{row + 2}"
        elif kind == "huge":
            cells[col] = "值" * 4500
        elif kind == "unknown_dept" and BY_NAME[sheet].column("department") is not None:
            index = BY_NAME[sheet].columns.index(BY_NAME[sheet].column("department"))  # type: ignore[arg-type]
            cells[index] = make_uscc(seq=4242)
        elif kind == "duplicate":
            sheets[sheet].append(list(cells))
        elif kind == "garbage":
            cells[col] = "\u3000" + str(extra) + "、、,"
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        ws.append([c.header for c in BY_NAME[name].columns])
        for index, row in enumerate(rows):
            ws.append(row)
            for _ in range(blanks.get(name, []).count(index)):
                ws.append([])
    for name, ref in merges:
        book[name].merge_cells(ref)
    book.save(path)


def snapshot(ledger: Ledger) -> dict[tuple[Kind, str], int]:
    out: dict[tuple[Kind, str], int] = {}
    for kind in Kind:
        after = None
        while True:
            page = ledger.page(kind=kind, filter=ListFilter(), after=after, first=100)
            out.update({(kind, s.entity.code): s.version for s in page.items})
            if not page.has_next:
                break
            after = page.items[-1].entity.code
    return out


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(found=defects(), skip_invalid=st.booleans())
def test_fuzzed_workbook_never_crashes_and_writes_all_or_nothing(
    found: list[Defect], skip_invalid: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ledger = Ledger(store=SqliteGraphStore(root / "g.db"))
        ledger.load(principal=SYSTEM_PRINCIPAL, entities=departments())
        path = root / "census.xlsx"
        build(path, found)
        before = snapshot(ledger)
        report = import_files([path], ledger=ledger, principal=SYSTEM_PRINCIPAL,
                              skip_invalid=skip_invalid)  # fmt: skip
        after = snapshot(ledger)
        for problem in report.problems:
            assert problem.message
            assert problem.message_en
            assert problem.fix
        if report.problems and not skip_invalid:
            assert not report.written
            assert after == before
        if not report.problems:
            expected = {(KIND_OF[type(e)], e.code) for e in CONTENT}
            assert expected <= set(after)
        if report.written:
            assert len(after) - len(before) == report.created
        else:
            assert after == before


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_arbitrary_bytes_are_a_reported_problem(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ledger = Ledger(store=SqliteGraphStore(root / "g.db"))
        path = root / f"census{suffix}"
        path.write_bytes(data)
        report = import_files([path], ledger=ledger, principal=SYSTEM_PRINCIPAL)
        assert not report.written
        assert snapshot(ledger) == {}
