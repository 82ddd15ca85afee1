"""Reading census files: .xlsx workbooks and .csv sheets into rows of raw cell values.

Decisions a clerk's spreadsheet forces on us, made once here:

* **Formulas**: a formula cell is read as the value Excel or WPS last computed and saved with
  the file (a VLOOKUP that fills a department code is normal). A formula without a saved
  result — a file written by a program and never opened in a spreadsheet — is an error: we
  do not evaluate formulas.
* **Merged cells** in the data area are an error on every row they cover: the value sits only
  in the first cell, and guessing which rows it was meant for would store a wrong ledger.
  Merges above the header row (a title banner) are fine.
* **CSV** files are UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (what Excel
  and WPS save on a Chinese Windows); comma, tab or semicolon separated.
* The header is the first of the first ten rows that holds a known header, so a title row
  above it does no harm. Rows where every cell is empty are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

from catalog.census.cells import CellError
from catalog.census.xlsx import BadWorkbook, read_workbook

RowValues = tuple[object, ...]
Progress = Callable[[int], None]
_PROGRESS_EVERY = 2000


class UnreadableFile(Exception):
    """A file that is not a workbook or a CSV we can decode; nothing of it was read."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


@dataclass
class RawSheet:
    """One sheet as read: its rows (Excel row numbers), and cell defects found while reading.

    `defects` is keyed by (row number, 0-based column index).
    """

    source: str
    title: str
    rows: list[tuple[int, RowValues]] = field(default_factory=list)
    defects: dict[tuple[int, int], CellError] = field(default_factory=dict)
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    csv: bool = False


def read_file(path: Path, *, progress: Progress | None = None) -> list[RawSheet]:
    """Every sheet of a .xlsx file, or the one sheet of a .csv file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [read_csv(path, progress=progress)]
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, progress=progress)
    raise UnreadableFile(
        f"不支持的文件类型 {path.suffix or '（无扩展名）'}：请使用 .xlsx 或 .csv",
        f"unsupported file type {path.suffix or '(none)'}: use .xlsx or .csv",
    )


# --------------------------------------------------------------------------- CSV


def decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM optional), UTF-16 with BOM, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "无法识别文件编码：请另存为“CSV UTF-8（逗号分隔）”",
            "unknown text encoding: save the file as CSV UTF-8",
        ) from None


def read_csv(path: Path, *, progress: Progress | None = None) -> RawSheet:
    """The rows of a CSV file; its sheet is recognised by its header (or its file name)."""
    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError:
        raise UnreadableFile(
            "文件声明为 UTF 编码但内容无法解码：请另存为“CSV UTF-8（逗号分隔）”",
            "the file has a UTF byte-order mark but does not decode: save it as CSV UTF-8",
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    sheet = RawSheet(source=path.name, title=path.stem, csv=True)
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            if any(v.strip() for v in values):
                sheet.rows.append((number, tuple(values)))
            if progress and number % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
    except csv.Error as err:
        raise UnreadableFile(
            f"CSV 格式错误：{err}，请检查引号是否成对", f"malformed CSV: {err}; check the quotes"
        ) from None
    return sheet


# --------------------------------------------------------------------------- XLSX


def read_xlsx(path: Path, *, progress: Progress | None = None) -> list[RawSheet]:
    """Every worksheet of a workbook, with formula-without-result and merged-cell defects."""
    try:
        book = read_workbook(path.read_bytes(), progress=progress)
    except (BadWorkbook, ParseError) as err:
        raise UnreadableFile(
            "无法打开工作簿：请确认是未加密的 .xlsx 文件（可在 Excel 或 WPS 中另存为 .xlsx）",
            f"cannot open the workbook ({type(err).__name__}): save it as an unencrypted .xlsx",
        ) from None
    sheets: list[RawSheet] = []
    for data in book:
        sheet = RawSheet(source=path.name, title=data.title, rows=data.rows, merged=data.merged)
        present = {number for number, _ in sheet.rows}
        for row, col in data.unsaved_formulas:
            sheet.defects[(row, col - 1)] = CellError(
                "FORMULA_WITHOUT_RESULT",
                "公式没有已保存的计算结果",
                "the formula has no saved result",
                "请在 Excel 或 WPS 中打开并保存文件，或把公式改为数值",
                "open and save the file in Excel or WPS, or replace the formula by its value",
            )
            if row not in present:
                present.add(row)
                sheet.rows.append((row, ()))
        sheet.rows.sort(key=lambda r: r[0])
        sheets.append(sheet)
    return sheets
