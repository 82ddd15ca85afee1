"""Writing census workbooks: the blank templates, and any list of entities in the same shape.

An export is a filled template — the same sheets, headers, drop-down lists and instructions —
so what a department downloads it can correct and import again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from catalog.census import vocab
from catalog.census.cells import to_cell
from catalog.census.sheets import (
    BY_KIND,
    CHILDREN,
    INSTRUCTIONS_SHEET,
    SHEETS,
    TEMPLATE_FILES,
    ColumnType,
    SheetSpec,
)
from catalog.model import KIND_OF, Entity

TEMPLATE_ROWS = 2000
Row = Sequence[object]
# A write-only worksheet: openpyxl's stubs lack its column dimensions and data validations.
Sheet = Any

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)

GENERAL_NOTES = (
    "每个工作表的第一行是表头，请勿修改或删除；从第二行起每行填写一条记录，不要留空行以外的说明文字。",
    "红色表头为必填列；带下拉箭头的列请从列表中选择（也接受英文枚举值，如 CONDITIONAL）。",
    "部门一律填写 18 位统一社会信用代码；多个编码之间用顿号“、”分隔。",
    "信息项、照面项、表单项、生命周期记录：每项一行，首列填写所属信息资源/证照类型/事项/系统的编码，"
    "行的先后即显示顺序；须与所属的资源一并导入。",
    "请勿合并单元格。公式单元格取 Excel/WPS 保存的计算结果；从未计算过的公式视为错误。",
    "单元格内容不超过 4000 个字符；时间不带时区的按北京时间理解。",
    "同一编码再次导入即为更新；内容未变化的资源不会产生新版本。生命周期只能向前推进。",
    "导入：irs import 文件.xlsx …；加 --skip-invalid 只导入无误的行，"
    "问题清单写入 --report 指定的文件。",
)
GENERAL_NOTES_EN = (
    "Row 1 of each sheet is the header: keep it. One record per row from row 2.",
    "Red headers are required; pick drop-down columns from the list (English values work too).",
    "Departments are 18-character unified social credit codes; separate several codes with 、.",
    "Field, surface-field, form-field and lifecycle sheets: one item per row, the parent's code "
    "in the first column, in display order; import them together with their parent.",
    "Do not merge cells. A formula counts as its saved result; a never-computed formula is an "
    "error.",
    "At most 4000 characters a cell; times without an offset are Beijing time.",
    "Importing a code again updates it; unchanged resources keep their version. Lifecycle "
    "only moves forward.",
    "Import with `irs import FILE…`; --skip-invalid imports the valid rows and writes the "
    "problems to --report.",
)


def entity_rows(entities: Iterable[Entity]) -> dict[str, list[Row]]:
    """The rows of every sheet for `entities`, by sheet name (child sheets included)."""
    out: dict[str, list[Row]] = {spec.name: [] for spec in SHEETS}
    for entity in entities:
        spec = BY_KIND[KIND_OF[type(entity)]]
        out[spec.name].append([to_cell(c, getattr(entity, c.attr)) for c in spec.columns])
        for child in CHILDREN[spec.name]:
            assert child.collection is not None
            for item in getattr(entity, child.collection):
                out[child.name].append(
                    [entity.code, *(to_cell(c, getattr(item, c.attr)) for c in child.columns[1:])]
                )
    return out


def export_workbook(entities: Iterable[Entity], path: Path) -> int:
    """Write `entities` as one filled census workbook; returns the number of data rows."""
    rows = entity_rows(entities)
    specs = [s for s in SHEETS if rows[s.name] or (s.parent and rows[s.parent])]
    write_workbook(path, specs or list(SHEETS), rows)
    return sum(len(r) for r in rows.values())


def export_csv(entities: Iterable[Entity], directory: Path) -> list[Path]:
    """Write `entities` as one UTF-8 (BOM) CSV file per non-empty sheet, named after it."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = entity_rows(entities)
    for spec in SHEETS:
        if not rows[spec.name]:
            continue
        path = directory / f"{spec.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([c.header for c in spec.columns])
            writer.writerows(_csv_row(r) for r in rows[spec.name])
        written.append(path)
    return written


def _csv_row(row: Row) -> list[object]:
    return [("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v) for v in row]


def write_templates(directory: Path) -> list[Path]:
    """Write the blank census templates (one workbook per kind of resource) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, specs in TEMPLATE_FILES:
        path = directory / name
        write_workbook(path, specs, {})
        paths.append(path)
    return paths


def write_workbook(
    path: Path, specs: Sequence[SheetSpec], rows: Mapping[str, Sequence[Row]]
) -> None:
    """A workbook with the instructions sheet and one sheet per spec, filled with `rows`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    _instructions(book.create_sheet(INSTRUCTIONS_SHEET), specs)
    for spec in specs:
        data = rows.get(spec.name, ())
        ws = book.create_sheet(spec.name)
        _prepare(ws, spec, len(data) + TEMPLATE_ROWS)
        for row in data:
            ws.append([_cell(ws, v) for v in row])
    book.save(path)


def _cell(ws: Sheet, value: object) -> object:
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text that looks like a formula stays text
        return cell
    return value


def _prepare(ws: Sheet, spec: SheetSpec, last_row: int) -> None:
    ws.freeze_panes = "A2"
    header: list[Cell] = []
    for index, column in enumerate(spec.columns, 1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        note = _column_note(column.required, column.help, column.help_en, column.enum)
        if note:
            cell.comment = Comment(note, "IRS", width=260, height=120)
        header.append(cell)
        area = f"{letter}2:{letter}{last_row}"
        if column.kind in (ColumnType.ENUM, ColumnType.BOOL):
            words = vocab.choices(column.enum) if column.enum else (vocab.YES, vocab.NO)
            check = DataValidation(
                type="list",
                formula1='"' + ",".join(words) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="请从列表中选择",
                error="可选值：" + "、".join(words),
            )
        elif column.kind is ColumnType.INT:
            check = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="应为整数",
                error="请填写不小于 0 的整数",
            )
        else:
            continue
        check.add(area)
        ws.data_validations.append(check)
    ws.append(header)


def _column_note(required: bool, help: str, help_en: str, enum: type[StrEnum] | None) -> str:
    parts = ["必填 / required" if required else ""]
    if enum is not None:
        parts.append("可选：" + "、".join(vocab.choices(enum)))
    parts += [help, help_en]
    return "\n".join(p for p in parts if p)


def _instructions(ws: Sheet, specs: Sequence[SheetSpec]) -> None:
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions["D"].width = 40
    ws.column_dimensions["E"].width = 44
    ws.column_dimensions["F"].width = 50
    title = WriteOnlyCell(
        ws, value="厦门市一体化数字资源普查模板 · 填报说明 (census template: how to fill)"
    )
    title.font = Font(bold=True, size=14)
    ws.append([title])
    wrap = Alignment(wrap_text=True, vertical="top")
    for zh, en in zip(GENERAL_NOTES, GENERAL_NOTES_EN, strict=True):
        cell = WriteOnlyCell(ws, value=f"{zh}\n{en}")
        cell.alignment = wrap
        ws.append([cell])
    ws.append([])
    heads = ["工作表 sheet", "列 column", "必填", "可选值 / 格式", "说明", "notes (English)"]
    header = []
    for text in heads:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    for spec in specs:
        for column in spec.columns:
            ws.append(
                [
                    spec.name,
                    column.header,
                    vocab.YES if column.required else "",
                    _format_hint(column.kind, column.enum),
                    column.help,
                    column.help_en,
                ]
            )


def _format_hint(kind: ColumnType, enum: type[StrEnum] | None) -> str:
    if enum is not None:
        return "、".join(vocab.choices(enum))
    return {
        ColumnType.TEXT: "文本",
        ColumnType.CODE: "编码",
        ColumnType.INT: "整数",
        ColumnType.DATE: "日期，如 2024-05-01",
        ColumnType.DATETIME: "时间，如 2024-05-31 18:00",
        ColumnType.BOOL: "是、否",
        ColumnType.LIST: "编码列表，用“、”分隔",
        ColumnType.MAPPINGS: "来源信息项→信息项，用“、”分隔",
    }[kind]
