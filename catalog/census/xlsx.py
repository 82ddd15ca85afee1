"""A small streaming reader of .xlsx worksheets: cell values, formulas and merged ranges.

Why not openpyxl's reader: it builds an object per cell (about 8,000 cells/s for the inline
strings openpyxl itself writes) while a census holds hundreds of thousands; this reader
parses each sheet with the C XML parser and keeps only values (about 15x faster), and it sees
what a census import must see and openpyxl's read-only mode hides: which cells hold a formula
(and whether Excel saved its result) and which cells are merged.

Values: shared and inline strings (phonetic runs left out), numbers (int when written without
a fraction), booleans, error literals (``#N/A``), and dates for cells whose number format is
a date format, in the workbook's 1900 or 1904 date system. Files declaring a DTD are refused
(OOXML has none; a DTD is how XML entity bombs come in), and so are packages that unpack to
more than `MAX_UNPACKED` bytes.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_UNPACKED = 2_000_000_000
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_C, _V, _F, _IS, _T, _R, _RPH = (_NS + n for n in ("c", "v", "f", "is", "t", "r", "rPh"))
_ROW, _SI, _MERGE = _NS + "row", _NS + "si", _NS + "mergeCell"
_COORD = re.compile(r"^([A-Z]{1,3})(\d+)$")
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\s[^>]*>")
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\s[^>]*>")
_1904 = re.compile(r"date1904=\"(?:1|true)\"")
# Chinese-locale built-in date formats (ids 27-36, 50-58) are not in openpyxl's table.
_CJK_DATE_IDS = frozenset(range(27, 37)) | frozenset(range(50, 59))


class BadWorkbook(Exception):
    """The package is not a workbook we can read (corrupt, encrypted, hostile)."""


@dataclass
class SheetData:
    """One worksheet: rows of values, formula cells without a saved result, merged ranges."""

    title: str
    rows: list[tuple[int, tuple[object, ...]]] = field(default_factory=list)
    unsaved_formulas: list[tuple[int, int]] = field(default_factory=list)
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)


def read_workbook(data: bytes, *, progress: Callable[[int], None] | None = None) -> list[SheetData]:
    """Every worksheet of the .xlsx package `data`, in workbook order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise BadWorkbook(str(err)) from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
            raise BadWorkbook("package too large when unpacked")
        workbook = _part(archive, "xl/workbook.xml").decode("utf-8", errors="replace")
        epoch = CALENDAR_MAC_1904 if _1904.search(workbook) else CALENDAR_WINDOWS_1900
        strings = _shared_strings(archive)
        dates = _date_styles(archive)
        return [
            _sheet(title, _part(archive, name), strings, dates, epoch, progress)
            for title, name in _sheet_parts(archive, workbook)
        ]


def _part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        data = archive.read(name)
    except KeyError:
        raise BadWorkbook(f"missing part {name}") from None
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError) as err:
        raise BadWorkbook(f"unreadable part {name}: {err}") from None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BadWorkbook(f"part {name} declares a DTD")
    return data


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s(?:\w+:)?{name}="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else None


def _sheet_parts(archive: zipfile.ZipFile, workbook: str) -> list[tuple[str, str]]:
    rels = _part(archive, "xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    targets: dict[str, str] = {}
    for tag in _REL_TAG.findall(rels):
        rid, target = _attr(tag, "Id"), _attr(tag, "Target")
        if rid and target and "worksheet" in (_attr(tag, "Type") or "worksheet"):
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            targets[rid] = posixpath.normpath(path)
    out = []
    for tag in _SHEET_TAG.findall(workbook):
        title, rid = _attr(tag, "name"), _attr(tag, "id")
        if title is not None and rid in targets:
            out.append((title, targets[rid]))
    return out


def _text(element: Element) -> str:
    """The text of a string item: its <t> runs, without phonetic (<rPh>) guides."""
    direct = element.find(_T)
    if direct is not None and element.find(_R) is None:
        return direct.text or ""
    return "".join(t.text or "" for run in element.iter(_R) for t in run.iter(_T))


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    out: list[str] = []
    for _event, element in iterparse(io.BytesIO(_part(archive, "xl/sharedStrings.xml"))):  # noqa: S314
        if element.tag == _SI:
            out.append(_text(element))
            element.clear()
    return out


def _date_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Indexes of the cell formats (``s`` attribute) whose number format shows a date."""
    if "xl/styles.xml" not in archive.namelist():
        return frozenset()
    custom: dict[int, str] = {}
    formats: list[int] = []
    in_xfs = False
    for event, element in iterparse(io.BytesIO(_part(archive, "xl/styles.xml")), ("start", "end")):  # noqa: S314
        tag = element.tag.removeprefix(_NS)
        if tag == "cellXfs":
            in_xfs = event == "start"
        elif event == "end" and tag == "numFmt":
            custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
        elif event == "end" and tag == "xf" and in_xfs:
            formats.append(int(element.get("numFmtId", "0")))
    dates = set()
    for index, number in enumerate(formats):
        code = custom.get(number) or BUILTIN_FORMATS.get(number, "")
        if number in _CJK_DATE_IDS or (code and is_date_format(code)):
            dates.add(index)
    return frozenset(dates)


def _sheet(
    title: str,
    data: bytes,
    strings: list[str],
    dates: frozenset[int],
    epoch: datetime,
    progress: Callable[[int], None] | None,
) -> SheetData:
    sheet = SheetData(title=title)
    number = 0
    seen = 0
    for _event, element in iterparse(io.BytesIO(data)):  # noqa: S314 - DTDs refused in _part
        if element.tag == _ROW:
            number = int(element.get("r") or number + 1)
            values = _row(element, number, strings, dates, epoch, sheet)
            if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                sheet.rows.append((number, values))
            element.clear()
            seen += 1
            if progress and seen % 2000 == 0:
                progress(2000)
        elif element.tag == _MERGE:
            ref = element.get("ref", "")
            try:
                min_col, min_row, max_col, max_row = range_boundaries(ref)
            except (ValueError, TypeError):
                continue
            if min_col and min_row and max_col and max_row:
                sheet.merged.append((ref, min_row, min_col, max_row, max_col))
    return sheet


def _row(
    row: Element,
    number: int,
    strings: list[str],
    dates: frozenset[int],
    epoch: datetime,
    sheet: SheetData,
) -> tuple[object, ...]:
    values: list[object] = []
    for cell in row.iter(_C):
        coordinate = _COORD.match(cell.get("r", ""))
        column = column_index_from_string(coordinate.group(1)) if coordinate else len(values) + 1
        if column > 16384:
            continue
        values.extend([None] * (column - len(values)))
        has_formula = cell.find(_F) is not None
        value = _value(cell, strings, dates, epoch)
        if has_formula and value is None:
            sheet.unsaved_formulas.append((number, column))
        values[column - 1] = value
    return tuple(values)


def _value(cell: Element, strings: list[str], dates: frozenset[int], epoch: datetime) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_IS)
        return _text(inline) if inline is not None else None
    raw = cell.findtext(_V)
    if raw is None or raw == "":
        return None
    try:
        if kind == "s":
            return strings[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            return datetime.fromisoformat(raw)
        number: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
        if int(cell.get("s", "0") or 0) in dates:
            return from_excel(number, epoch)
        return number
    except (ValueError, IndexError, OverflowError):
        return raw  # an unreadable number reads as text; the column's parser judges it
