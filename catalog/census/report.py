"""What an import tells the clerk: every problem at its sheet, row and column, and the outcome.

The report file (.xlsx or .csv) lists each rejected row's problems with the value found and
the fix, in Chinese and English, so a department can correct its sheet and import it again.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

MAX_VALUE_SHOWN = 200


@dataclass(frozen=True)
class RowProblem:
    """One problem: where (file, sheet, Excel row, column header), the value, what and how."""

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    code: str
    message: str
    message_en: str
    fix: str
    fix_en: str

    def line(self) -> str:
        """One line for a terminal: where, value, what, fix — Chinese then English."""
        where = f"{self.file} › {self.sheet}" + (f" 第 {self.row} 行" if self.row else "")
        column = f" 【{self.column}】" if self.column else ""
        value = f" 值“{self.value}”" if self.value else ""
        return (
            f"{where}{column}{value}：{self.message}。{self.fix}\n"
            f"    {self.message_en}; {self.fix_en}"
        )


@dataclass(frozen=True)
class DuplicateFlag:
    """Two systems that look like the same system registered twice (应用查重)."""

    first: str
    second: str
    score: float
    reason: str
    reason_en: str


@dataclass
class ImportReport:
    """The outcome of `import_files`; `written` says whether the ledger changed at all."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    entities: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    written: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    duplicates: list[DuplicateFlag] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether every row was valid."""
        return not self.problems

    def summary(self) -> str:
        """One bilingual line on what happened."""
        if self.written:
            state, state_en = "已写入", "written"
        elif self.problems:
            state, state_en = "未写入任何数据", "nothing written"
        else:
            state, state_en = "内容无变化，无需写入", "nothing changed, nothing to write"
        return (
            f"读取 {self.rows} 行、{self.entities} 项资源：新增 {self.created}，更新 "
            f"{self.updated}，未变化 {self.unchanged}，跳过 {self.skipped}，问题 "
            f"{len(self.problems)} 处；{state}。\n"
            f"read {self.rows} rows, {self.entities} resources: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.skipped} skipped, "
            f"{len(self.problems)} problems; {state_en}."
        )


PROBLEM_HEADERS = (
    "文件 file",
    "工作表 sheet",
    "行 row",
    "列 column",
    "值 value",
    "问题代码 code",
    "问题",
    "修改方法",
    "problem",
    "fix",
)
DUPLICATE_HEADERS = ("系统编码 A", "系统编码 B", "相似度 score", "原因", "reason")


def problem_row(p: RowProblem) -> tuple[object, ...]:
    return (
        p.file,
        p.sheet,
        p.row,
        p.column,
        p.value,
        p.code,
        p.message,
        p.fix,
        p.message_en,
        p.fix_en,
    )


def write_report(report: ImportReport, path: Path) -> Path:
    """Write the problems (and flagged duplicates) to `path`: .csv, otherwise .xlsx."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(PROBLEM_HEADERS)
            writer.writerows(problem_row(p) for p in report.problems)
        return path
    book = Workbook(write_only=True)
    _sheet(book, "问题清单", PROBLEM_HEADERS, [problem_row(p) for p in report.problems])
    _sheet(
        book,
        "疑似重复系统",
        DUPLICATE_HEADERS,
        [(d.first, d.second, round(d.score, 3), d.reason, d.reason_en) for d in report.duplicates],
    )
    book.save(path)
    return path


def _sheet(
    book: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    ws = book.create_sheet(title)
    ws.freeze_panes = "A2"
    header = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(list(row))


def shown(value: str) -> str:
    """A cell value as the report shows it: clipped, on one line."""
    flat = " ".join(value.split())
    return flat if len(flat) <= MAX_VALUE_SHOWN else flat[:MAX_VALUE_SHOWN] + "…"
