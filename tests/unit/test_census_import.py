"""Census import over the embedded store: encodings, every problem located, all-or-nothing,
skip-invalid, idempotent re-import, ownership, lifecycle, spreadsheet quirks."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from catalog.census.importer import import_files
from catalog.census.report import ImportReport, RowProblem
from catalog.census.writer import export_workbook, write_templates
from catalog.codes import make_uscc
from catalog.ledger import Ledger, ListFilter
from catalog.model import Dataset, Kind, Lifecycle, OpenType, SharingType, System
from catalog.principal import SYSTEM_PRINCIPAL, Principal, Role
from graph.sqlite_store import SqliteGraphStore
from tests.factories import GAJ, SCJG, departments, small_ledger

DATASET_HEADER = ["信息资源代码", "信息资源名称", "提供部门统一社会信用代码", "摘要", "共享类型",
                  "共享条件", "开放属性", "数据分级", "更新周期", "发布日期"]  # fmt: skip
FIELD_HEADER = ["信息资源代码", "信息项名称", "数据类型", "长度", "数据元编码", "是否敏感"]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(store=SqliteGraphStore(tmp_path / "g.db"))
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=small_ledger())  # type: ignore[arg-type]
    return ledger


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    book.save(path)
    return path


def dataset_row(code: str, **kw: str) -> list[object]:
    row = {"code": code, "name": "企业年报信息", "dept": SCJG, "summary": "企业年度报告",
           "share": "有条件共享", "cond": "用于政务服务", "open": "不予开放", "grade": "一般",
           "cycle": "每年", "date": "2024-03-01"} | kw  # fmt: skip
    return list(row.values())


def census(tmp_path: Path, datasets: list[list[object]], fields: list[list[object]]) -> list[Path]:
    return [
        write_csv(tmp_path / "信息资源.csv", [DATASET_HEADER, *datasets]),
        write_csv(tmp_path / "信息项.csv", [FIELD_HEADER, *fields]),
    ]


def run(ledger: Ledger, paths: Sequence[Path], **kw: object) -> ImportReport:
    return import_files(paths, ledger=ledger, principal=SYSTEM_PRINCIPAL, **kw)  # type: ignore[arg-type]


def find(report: ImportReport, code: str) -> RowProblem:
    matches = [p for p in report.problems if p.code == code]
    assert matches, f"no {code} in {[p.code for p in report.problems]}"
    return matches[0]


def test_templates_have_instructions_chinese_headers_and_dropdowns(tmp_path: Path) -> None:
    paths = write_templates(tmp_path)
    assert [p.name for p in paths][:3] == ["01-部门.xlsx", "02-公共组件.xlsx", "03-应用系统.xlsx"]
    book = openpyxl.load_workbook(tmp_path / "05-信息资源.xlsx")
    assert book.sheetnames == ["说明", "信息资源", "信息项", "数据来源"]
    ws = book["信息资源"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["信息资源代码", "信息资源名称", "提供部门统一社会信用代码"]
    lists = {str(v.sqref).split(":")[0][:1]: v.formula1 for v in ws.data_validations.dataValidation}
    share_col = openpyxl.utils.get_column_letter(headers.index("共享类型") + 1)
    assert lists[share_col] == '"无条件共享,有条件共享,不予共享"'
    grade_col = openpyxl.utils.get_column_letter(headers.index("数据分级") + 1)
    assert lists[grade_col] == '"一般,重要,核心"'
    notes = "\n".join(str(r[0]) for r in book["说明"].iter_rows(values_only=True) if r[0])
    assert "合并单元格" in notes
    assert "irs import" in notes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding_imports(tmp_path: Path, ledger: Ledger, encoding: str) -> None:
    paths = [
        write_csv(tmp_path / "a.csv", [DATASET_HEADER, dataset_row("DS-NB-1")], encoding),
        write_csv(
            tmp_path / "b.csv",
            [FIELD_HEADER, ["DS-NB-1", "统一社会信用代码", "字符型", "18", "DE0001", "否"],
             ["DS-NB-1", "年报年度", "整数型", "", "", "否"]],
            encoding,
        ),
    ]  # fmt: skip
    report = run(ledger, paths)
    assert report.ok, [p.line() for p in report.problems]
    assert (report.created, report.written) == (1, True)
    stored = ledger.get(kind=Kind.DATASET, code="DS-NB-1")
    assert stored is not None
    ds = stored.entity
    assert isinstance(ds, Dataset)
    assert ds.sharing_type is SharingType.CONDITIONAL
    assert ds.open_type is OpenType.NOT_OPEN
    assert [f.name for f in ds.fields] == ["统一社会信用代码", "年报年度"]
    assert ds.fields[0].length == 18


def test_every_problem_is_located_and_nothing_is_written(tmp_path: Path, ledger: Ledger) -> None:
    bad_uscc = SCJG[:-1] + ("0" if SCJG[-1] != "0" else "1")
    paths = census(
        tmp_path,
        [dataset_row("DS-NB-1", share="随便共享"), dataset_row("DS-NB-2", dept=bad_uscc),
         dataset_row("DS-NB-3", dept=make_uscc(seq=999)), dataset_row("DS-NB-4")],
        [["DS-NB-1", "名称", "", "", "", ""], ["DS-NB-2", "名称", "", "", "", ""],
         ["DS-NB-3", "名称", "", "", "", ""], ["DS-NB-4", "名称", "", "abc", "DE9999", "否"]],
    )  # fmt: skip
    before = ledger.count(kind=Kind.DATASET, filter=_ALL)
    report = run(ledger, paths)
    assert not report.written
    assert ledger.count(kind=Kind.DATASET, filter=_ALL) == before
    choice = find(report, "UNKNOWN_CHOICE")
    assert (choice.sheet, choice.row, choice.column, choice.value) == ("信息资源", 2, "共享类型",
                                                                       "随便共享")  # fmt: skip
    assert "无条件共享" in choice.fix
    check = find(report, "USCC_CHECK_CHAR")
    assert (check.row, check.column, check.value) == (3, "提供部门统一社会信用代码", bad_uscc)
    unknown = find(report, "UNKNOWN_DEPARTMENT")
    assert (unknown.row, unknown.column) == (4, "提供部门统一社会信用代码")
    wrong = find(report, "WRONG_TYPE")
    assert (wrong.sheet, wrong.row, wrong.column, wrong.value) == ("信息项", 5, "长度", "abc")
    element = find(report, "UNKNOWN_DATA_ELEMENT")
    assert (element.sheet, element.row, element.column, element.value) == (
        "信息项", 5, "数据元编码", "DE9999"
    )  # fmt: skip
    assert all(p.message and p.message_en and p.fix and p.fix_en for p in report.problems)


def test_rule_on_a_child_row_points_at_that_row(tmp_path: Path, ledger: Ledger) -> None:
    paths = census(
        tmp_path,
        [dataset_row("DS-NB-1")],
        [["DS-NB-1", "企业名称", "", "", "", ""], ["DS-NB-1", "企业名称", "", "", "", ""]],
    )
    report = run(ledger, paths)
    duplicate = find(report, "DUPLICATE")
    assert (duplicate.sheet, duplicate.row, duplicate.column) == ("信息项", 3, "信息项名称")


def test_duplicate_codes_and_orphan_fields_are_reported(tmp_path: Path, ledger: Ledger) -> None:
    paths = census(
        tmp_path,
        [dataset_row("DS-NB-1"), dataset_row("DS-NB-1", name="另一个")],
        [["DS-NB-1", "名称", "", "", "", ""], ["DS-NOPE", "名称", "", "", "", ""]],
    )
    report = run(ledger, paths)
    assert find(report, "DUPLICATE").row == 3
    orphan = find(report, "UNKNOWN_PARENT")
    assert (orphan.sheet, orphan.row, orphan.value) == ("信息项", 3, "DS-NOPE")
    assert not report.written


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(
    tmp_path: Path, ledger: Ledger
) -> None:
    paths = census(
        tmp_path,
        [dataset_row("DS-NB-1"), dataset_row("DS-NB-2", grade="绝密")],
        [["DS-NB-1", "名称", "", "", "", ""], ["DS-NB-2", "名称", "", "", "", ""]],
    )
    report = run(ledger, paths, skip_invalid=True, report_path=tmp_path / "report.xlsx")
    assert (report.written, report.created, report.skipped) == (True, 1, 1)
    assert ledger.get(kind=Kind.DATASET, code="DS-NB-1") is not None
    assert ledger.get(kind=Kind.DATASET, code="DS-NB-2") is None
    rows = list(openpyxl.load_workbook(tmp_path / "report.xlsx")["问题清单"].values)
    assert rows[1][1:5] == ("信息资源", 3, "数据分级", "绝密")


def test_skip_invalid_drops_rows_that_depend_on_a_skipped_one(
    tmp_path: Path, ledger: Ledger
) -> None:
    paths = [
        write_csv(tmp_path / "s.csv", [["系统编码", "系统名称", "所属部门统一社会信用代码", "生命周期"],
                                       ["SYS-NB-1", "年报系统", SCJG, "上线了"]]),
        write_csv(tmp_path / "d.csv", [[*DATASET_HEADER, "来源系统编码"],
                                       [*dataset_row("DS-NB-1"), "SYS-NB-1"]]),
        write_csv(tmp_path / "f.csv", [FIELD_HEADER, ["DS-NB-1", "名称", "", "", "", ""]]),
    ]  # fmt: skip
    report = run(ledger, paths, skip_invalid=True)
    assert not report.written
    assert {p.code for p in report.problems} == {"UNKNOWN_CHOICE", "UNKNOWN_SYSTEM"}
    assert report.skipped == 2


def test_reimport_changes_nothing_and_an_edit_updates_in_place(
    tmp_path: Path, ledger: Ledger
) -> None:
    fields = [["DS-NB-1", "名称", "", "", "", ""]]
    first = run(ledger, census(tmp_path, [dataset_row("DS-NB-1")], fields))
    assert first.created == 1
    again = run(ledger, census(tmp_path, [dataset_row("DS-NB-1")], fields))
    assert (again.written, again.unchanged, again.created, again.updated) == (False, 1, 0, 0)
    stored = ledger.get(kind=Kind.DATASET, code="DS-NB-1")
    assert stored is not None
    assert stored.version == 1
    edited = run(ledger, census(tmp_path, [dataset_row("DS-NB-1", summary="新的摘要")], fields))
    assert edited.updated == 1
    stored = ledger.get(kind=Kind.DATASET, code="DS-NB-1")
    assert stored is not None
    assert stored.version == 2
    assert isinstance(stored.entity, Dataset)
    assert stored.entity.summary == "新的摘要"


def test_lifecycle_moves_forward_with_an_event_and_never_back(
    tmp_path: Path, ledger: Ledger
) -> None:
    header = ["系统编码", "系统名称", "所属部门统一社会信用代码", "生命周期", "使用的公共组件编码",
              "系统简介"]  # fmt: skip
    row = ["SYS-SCJG-1", "食品经营许可系统", SCJG, "注销", "CMP-AUTH", "办理食品经营许可"]
    report = run(ledger, [write_csv(tmp_path / "s.csv", [header, row])])
    assert report.updated == 1
    stored = ledger.get(kind=Kind.SYSTEM, code="SYS-SCJG-1")
    assert stored is not None
    system = stored.entity
    assert isinstance(system, System)
    assert system.lifecycle is Lifecycle.DECOMMISSIONED
    last = system.lifecycle_events[-1]
    assert (last.from_state, last.to_state) == (Lifecycle.OPERATING, Lifecycle.DECOMMISSIONED)
    row[3] = "开发"
    back = run(ledger, [write_csv(tmp_path / "s.csv", [header, row])])
    assert find(back, "LIFECYCLE_BACKWARD").column == "生命周期"
    assert not back.written


def test_an_operator_imports_only_their_own_department(tmp_path: Path, ledger: Ledger) -> None:
    operator = Principal(client_id="c", name="市场监管", role=Role.DEPARTMENT, department=SCJG)
    paths = census(
        tmp_path,
        [dataset_row("DS-NB-1"), dataset_row("DS-GAJ-1", dept=SCJG)],
        [["DS-NB-1", "名称", "", "", "", ""], ["DS-GAJ-1", "名称", "", "", "", ""]],
    )
    report = import_files(paths, ledger=ledger, principal=operator)
    forbidden = find(report, "FORBIDDEN")
    assert (forbidden.row, forbidden.column) == (3, "提供部门统一社会信用代码")
    assert GAJ in forbidden.message
    assert not report.written


def test_formula_counts_as_its_saved_result_and_without_one_is_an_error(
    tmp_path: Path, ledger: Ledger
) -> None:
    path = write_xlsx(
        tmp_path / "f.xlsx",
        {"信息资源": [DATASET_HEADER, dataset_row("DS-NB-1", dept="=A1"),
                      dataset_row("DS-NB-2", dept="=B1")],
         "信息项": [FIELD_HEADER, ["DS-NB-1", "名称"], ["DS-NB-2", "名称"]]},
    )  # fmt: skip
    _save_result(path, "C2", SCJG)
    report = run(ledger, [path])
    formula = find(report, "FORMULA_WITHOUT_RESULT")
    assert (formula.sheet, formula.row, formula.column) == (
        "信息资源",
        3,
        "提供部门统一社会信用代码",
    )
    assert [p.row for p in report.problems] == [3]


def test_merged_cells_huge_cells_and_empty_rows(tmp_path: Path, ledger: Ledger) -> None:
    path = write_xlsx(
        tmp_path / "m.xlsx",
        {"信息资源": [["厦门市普查表"], DATASET_HEADER, dataset_row("DS-NB-1"), [],
                      dataset_row("DS-NB-2", summary="长" * 5000), dataset_row("DS-NB-3"),
                      dataset_row("DS-NB-4")],
         "信息项": [FIELD_HEADER, *([f"DS-NB-{i}", "名称"] for i in range(1, 5))]},
    )  # fmt: skip
    book = openpyxl.load_workbook(path)
    book["信息资源"].merge_cells("D6:D7")
    book["信息资源"].merge_cells("A1:F1")  # a title banner above the header is fine
    book.save(path)
    report = run(ledger, [path])
    assert {(p.code, p.row) for p in report.problems} == {
        ("TOO_LONG", 5),
        ("MERGED_CELLS", 6),
        ("MERGED_CELLS", 7),
    }
    assert find(report, "TOO_LONG").column == "摘要"


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path, ledger: Ledger) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    report = run(ledger, [junk, tmp_path / "missing.csv"])
    assert [p.code for p in report.problems] == ["UNREADABLE", "UNREADABLE"]
    assert not report.written


def test_an_export_is_a_filled_template(tmp_path: Path, ledger: Ledger) -> None:
    rows = export_workbook(departments(), tmp_path / "d.xlsx")
    assert rows == 3
    book = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert book.sheetnames == ["说明", "部门"]
    assert [c.value for c in book["部门"]["A"]][1:] == [d.code for d in departments()]


def _save_result(path: Path, cell: str, value: str) -> None:
    """Give a formula cell a saved result, as Excel would when it saves the file."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode()
    xml = re.sub(
        rf'<c r="{cell}"([^>]*)><f>([^<]*)</f><v\s*(?:/>|></v>)',
        rf'<c r="{cell}"\1 t="str"><f>\2</f><v>{value}</v>',
        xml,
    )
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for part, data in parts.items():
            archive.writestr(part, data)


_ALL = ListFilter()


def test_lineage_rows_are_read_and_their_problems_located(tmp_path: Path, ledger: Ledger) -> None:
    lineage_header = ["信息资源代码", "来源信息资源代码", "加工任务", "起始时间", "字段映射"]
    paths = [
        *census(tmp_path, [dataset_row("DS-NB-1")], [["DS-NB-1", "统一社会信用代码", "", "", "", ""]]),
        write_csv(
            tmp_path / "l.csv",
            [lineage_header,
             ["DS-NB-1", "DS-SCJG-1", "年报归集", "2024-01-02 08:00", "统一社会信用代码"],
             ["DS-NB-1", "DS-NOPE", "", "", "企业名称→不存在的项"]],
        ),
    ]  # fmt: skip
    report = run(ledger, paths)
    unknown = find(report, "UNKNOWN_DATASET")
    assert (unknown.sheet, unknown.row, unknown.column, unknown.value) == (
        "数据来源", 3, "来源信息资源代码", "DS-NOPE"
    )  # fmt: skip
    field = find(report, "UNKNOWN_FIELD")
    assert (field.row, field.column) == (3, "字段映射")
    fixed = write_csv(
        tmp_path / "l.csv",
        [lineage_header,
         ["DS-NB-1", "DS-SCJG-1", "年报归集", "2024-01-02 08:00", "统一社会信用代码"]],
    )  # fmt: skip
    report = run(ledger, [*paths[:2], fixed])
    assert report.ok, [p.line() for p in report.problems]
    stored = ledger.get(kind=Kind.DATASET, code="DS-NB-1")
    assert stored is not None
    assert isinstance(stored.entity, Dataset)
    [derivation] = stored.entity.derived_from
    assert (derivation.source, derivation.job) == ("DS-SCJG-1", "年报归集")
    assert derivation.since is not None
    assert derivation.since.isoformat() == "2024-01-02T00:00:00+00:00"
    assert derivation.fields[0].target_field == "统一社会信用代码"
