"""Rows to domain entities: recognise each sheet, read each cell, attach child rows to their
parent, and remember where every value came from so a rule's field path can be shown to the
clerk as a sheet, a row and a column.
"""

from __future__ import annotations

import bisect
import dataclasses
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from catalog.census.cells import CellError, as_text, is_blank, parse_cell
from catalog.census.reader import RawSheet
from catalog.census.report import RowProblem, shown
from catalog.census.sheets import (
    BY_NAME,
    INSTRUCTIONS_SHEET,
    SHEETS,
    Column,
    SheetSpec,
    normalize_header,
)
from catalog.model import KIND_LABEL_ZH, Entity, Kind

HEADER_SEARCH_ROWS = 10
_PLACEHOLDER_TIME = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Origin:
    """Where one row came from, with its raw cells by column key (for the report)."""

    source: str
    sheet: str
    spec: SheetSpec
    row: int
    raw: dict[str, object] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    bad: bool = False


@dataclass
class Parsed:
    """One entity built from a row (and its child rows), and whether any cell was bad."""

    entity: Entity
    main: Origin
    children: dict[str, list[Origin]]
    bad: bool


@dataclass
class Batch:
    """What the files hold: entities in file order, the problems found, rows read."""

    items: list[Parsed] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    rows: int = 0
    dropped_rows: int = 0


def cell_problem(origin: Origin, column: Column | None, error: CellError) -> RowProblem:
    """A problem at one cell of `origin`'s row."""
    raw = origin.raw.get(column.key) if column else None
    return RowProblem(
        file=origin.source,
        sheet=origin.sheet,
        row=origin.row,
        column=column.header if column else "",
        value="" if is_blank(raw) else shown(as_text(raw)),
        code=error.code,
        message=error.message,
        message_en=error.message_en,
        fix=error.fix,
        fix_en=error.fix_en,
    )


def assemble(sheets: Sequence[RawSheet]) -> Batch:
    """Entities from every recognised sheet; problems for every cell and row that is wrong."""
    batch = Batch()
    mains: dict[tuple[Kind, str], tuple[Origin, dict[str, list[Origin]]]] = {}
    children: list[Origin] = []
    for sheet in sheets:
        found = _identify(sheet)
        if found is None:
            if sheet.title.strip() != INSTRUCTIONS_SHEET and sheet.rows:
                batch.notices.append(
                    f"{sheet.source} › {sheet.title}：不是普查模板中的工作表，已忽略 / "
                    "not a census sheet, ignored"
                )
            continue
        spec, header_at = found
        if header_at is None:
            batch.problems.append(
                RowProblem(
                    sheet.source, sheet.title, None, spec.columns[0].header, "",
                    "MISSING_HEADER", f"前 {HEADER_SEARCH_ROWS} 行中找不到表头",
                    f"no header row in the first {HEADER_SEARCH_ROWS} rows",
                    "请使用 irs template 生成的模板，保留表头行",
                    "use the template from `irs template` and keep its header row",
                )
            )  # fmt: skip
            batch.dropped_rows += len(sheet.rows)
            continue
        for origin in _read_rows(sheet, spec, header_at, batch):
            batch.rows += 1
            if spec.parent is not None:
                children.append(origin)
                continue
            assert spec.kind is not None
            code = origin.values.get("code")
            if not code:
                mains[(spec.kind, f"\0row{len(mains)}")] = (origin, {})
                continue
            key = (spec.kind, code)
            if key in mains:
                first = mains[key][0]
                batch.problems.append(_duplicate(origin, spec, first))
                batch.dropped_rows += 1
                continue
            mains[key] = (origin, {})
    for child in children:
        _attach(child, mains, batch)
    for (kind, _code), (origin, kids) in mains.items():
        batch.items.append(_build(kind, origin, kids))
    return batch


def _duplicate(origin: Origin, spec: SheetSpec, first: Origin) -> RowProblem:
    code_column = spec.columns[0]
    where = f"{first.source} › {first.sheet} 第 {first.row} 行"
    return cell_problem(
        origin,
        code_column,
        CellError(
            "DUPLICATE",
            f"{code_column.header}重复：与 {where} 相同",
            f"duplicate {code_column.header}: the same as {first.sheet} row {first.row}",
            "请删除重复的行，或改用另一个编码",
            "delete the repeated row, or use another code",
        ),
    )


def _attach(
    child: Origin,
    mains: dict[tuple[Kind, str], tuple[Origin, dict[str, list[Origin]]]],
    batch: Batch,
) -> None:
    spec = child.spec
    assert spec.parent is not None
    assert spec.collection is not None
    parent_spec = BY_NAME[spec.parent]
    assert parent_spec.kind is not None
    parent_key = spec.columns[0].key
    code = child.values.get(parent_key)
    if not code:
        batch.dropped_rows += 1
        return  # the missing parent code is already reported as REQUIRED
    found = mains.get((parent_spec.kind, code))
    if found is None:
        batch.problems.append(
            cell_problem(
                child,
                spec.columns[0],
                CellError(
                    "UNKNOWN_PARENT",
                    f"{code} 不在本次导入的“{parent_spec.name}”表中",
                    f"{code} is not in the {parent_spec.title_en} sheet of this import",
                    f"请把该{KIND_LABEL_ZH[parent_spec.kind]}的行一并导入（{spec.name}须随其"
                    f"{parent_spec.name}一起导入），或核对编码",
                    f"import its {parent_spec.title_en} row together with it, or check the code",
                ),
            )
        )
        batch.dropped_rows += 1
        return
    found[1].setdefault(spec.collection, []).append(child)


def _build(kind: Kind, origin: Origin, kids: dict[str, list[Origin]]) -> Parsed:
    spec = origin.spec
    values = {
        c.attr: origin.values[c.key] for c in spec.columns if origin.values.get(c.key) is not None
    }
    bad = origin.bad
    for collection, rows in kids.items():
        items = []
        for row in rows:
            bad = bad or row.bad
            child_values = {
                c.attr: row.values[c.key]
                for c in row.spec.columns[1:]
                if row.values.get(c.key) is not None
            }
            items.append(_construct(row.spec.row_type, child_values))
        values[collection] = tuple(items)
    entity = _construct(spec.row_type, values)
    return Parsed(entity=entity, main=origin, children=kids, bad=bad)


def _construct(cls: type[Any], values: dict[str, Any]) -> Any:
    """An instance of `cls`; a required field left empty gets a placeholder (already reported)."""
    for name, placeholder in _placeholders(cls):
        values.setdefault(name, placeholder)
    return cls(**values)


_PLACEHOLDERS: dict[type[Any], tuple[tuple[str, Any], ...]] = {}


def _placeholders(cls: type[Any]) -> tuple[tuple[str, Any], ...]:
    if cls in _PLACEHOLDERS:
        return _PLACEHOLDERS[cls]
    hints = get_type_hints(cls)
    out: list[tuple[str, Any]] = []
    for f in dataclasses.fields(cls):
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            out.append((f.name, _placeholder(hints[f.name])))
    _PLACEHOLDERS[cls] = tuple(out)
    return _PLACEHOLDERS[cls]


def _placeholder(hint: Any) -> Any:
    if get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint):
        return None
    if isinstance(hint, type) and issubclass(hint, Enum):
        return next(iter(hint))
    if hint is datetime:
        return _PLACEHOLDER_TIME
    return ""


# --------------------------------------------------------------------------- sheets


def _identify(sheet: RawSheet) -> tuple[SheetSpec, int | None] | None:
    """The sheet's kind and the index (in `sheet.rows`) of its header row.

    A sheet titled like a template sheet is that sheet even when its header is not found
    (index None); any other sheet is recognised by a header row holding all required columns.
    """
    title = sheet.title.strip()
    named = next((s for s in SHEETS if title in (s.name, s.key)), None)
    candidates = [named] if named else list(SHEETS)
    for index, (_number, values) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        headers = {normalize_header(as_text(v)) for v in values if not is_blank(v)}
        best: tuple[int, SheetSpec] | None = None
        for spec in candidates:
            if spec.columns[0].header not in headers:
                continue
            required = {c.header for c in spec.columns if c.required}
            if named is None and not required <= headers:
                continue
            score = len(headers & {c.header for c in spec.columns})
            if best is None or score > best[0]:
                best = (score, spec)
        if best is not None:
            return best[1], index
    return (named, None) if named else None


def _read_rows(sheet: RawSheet, spec: SheetSpec, header_at: int, batch: Batch) -> list[Origin]:
    header_row, header_values = sheet.rows[header_at]
    by_header = {c.header: c for c in spec.columns}
    columns: dict[int, Column] = {}
    for index, value in enumerate(header_values):
        if is_blank(value):
            continue
        column = by_header.get(normalize_header(as_text(value)))
        if column is None or column in columns.values():
            batch.notices.append(
                f"{sheet.source} › {sheet.title}：第 {index + 1} 列“{as_text(value).strip()}”"
                "不是模板中的列（或重复），已忽略 / unknown or repeated column ignored"
            )
            continue
        columns[index] = column
    missing = [c for c in spec.columns if c.required and c not in columns.values()]
    if missing:
        names = "、".join(c.header for c in missing)
        batch.problems.append(
            RowProblem(
                sheet.source, sheet.title, header_row, names, "", "MISSING_COLUMN",
                f"缺少必填列：{names}", f"required columns are missing: {names}",
                "请使用 irs template 生成的模板，保留表头", "use the template from `irs template` "
                "and keep its header row",
            )
        )  # fmt: skip
        batch.dropped_rows += len(sheet.rows) - header_at - 1
        return []
    merged = _merged_cells(sheet, header_row, columns, batch)
    out: list[Origin] = []
    for number, values in sheet.rows[header_at + 1 :]:
        title = spec.name if sheet.csv else sheet.title  # a CSV file is one sheet of its kind
        origin = Origin(source=sheet.source, sheet=title, spec=spec, row=number)
        errors: list[tuple[Column, CellError]] = []
        for index, column in columns.items():
            raw = values[index] if index < len(values) else None
            origin.raw[column.key] = raw
            defect = sheet.defects.get((number, index)) or merged.get((number, index))
            if defect is not None:
                errors.append((column, defect))
                continue
            value, error = parse_cell(column, raw)
            if error is not None:
                errors.append((column, error))
            elif value is None and column.required:
                errors.append((column, _REQUIRED(column)))
            else:
                origin.values[column.key] = value
        for column, error in errors:
            batch.problems.append(cell_problem(origin, column, error))
        origin.bad = bool(errors)
        out.append(origin)
    return out


def _REQUIRED(column: Column) -> CellError:
    return CellError(
        "REQUIRED",
        f"“{column.header}”为必填项",
        f"{column.header} is required",
        f"请填写“{column.header}”" + (f"（{column.help}）" if column.help else ""),
        f"fill in {column.header}" + (f" ({column.help_en})" if column.help_en else ""),
    )


def _merged_cells(
    sheet: RawSheet, header_row: int, columns: Iterable[int], batch: Batch
) -> dict[tuple[int, int], CellError]:
    """Every cell of a data row that lies in a merged range (only rows and columns we read)."""
    out: dict[tuple[int, int], CellError] = {}
    if not sheet.merged:
        return out
    present = [number for number, _ in sheet.rows]
    columns = list(columns)
    for ref, min_row, min_col, max_row, max_col in sheet.merged:
        if max_row < header_row:
            continue  # a title banner above the header
        error = CellError(
            "MERGED_CELLS",
            f"单元格 {ref} 是合并单元格",
            f"cells {ref} are merged",
            "请取消合并，并在每一行填写完整的值",
            "unmerge them and type the value in every row",
        )
        if min_row <= header_row:
            batch.problems.append(
                RowProblem(
                    sheet.source, sheet.title, header_row, "", ref, error.code, error.message,
                    error.message_en, error.fix, error.fix_en,
                )
            )  # fmt: skip
        first = bisect.bisect_left(present, max(min_row, header_row + 1))
        last = bisect.bisect_right(present, max_row)
        for row in present[first:last]:
            for col in columns:
                if min_col - 1 <= col < max_col:
                    out[(row, col)] = error
    return out
