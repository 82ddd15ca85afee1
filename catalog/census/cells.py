"""One cell to a domain value and back: what a clerk may type, and what an export writes.

Reading is lenient where a person would be (是/否 or Y/N, 2024/5/1 or 2024-05-01, full-width
digits in a code, a number typed into a code column) and strict where guessing would store
something nobody meant (an unknown enumeration word, a fraction in a whole-number column).
Times without an offset are Beijing time; the ledger keeps UTC.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from catalog.census import vocab
from catalog.census.sheets import Column, ColumnType
from catalog.model import FieldMapping

MAX_CELL = 4000
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
LIST_SEPARATOR = "、"
_SPLIT = re.compile(r"[、,，;；\n]+")
_SPACES = re.compile(r"\s+")
_ARROW = re.compile(r"→|->|=>")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


@dataclass(frozen=True)
class CellError:
    """Why a cell cannot be read, and how to fix it (Chinese and English)."""

    code: str
    message: str
    message_en: str
    fix: str
    fix_en: str


def is_blank(raw: object) -> bool:
    """Whether a cell counts as empty (nothing, or only spaces)."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def as_text(raw: object) -> str:
    """A cell as the text a person sees (a whole number without ``.0``)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return vocab.YES if raw else vocab.NO
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ")
    return str(raw)


def parse_cell(column: Column, raw: object) -> tuple[Any, CellError | None]:
    """The domain value of one cell (None when empty), or why it cannot be read."""
    if is_blank(raw):
        return None, None
    if isinstance(raw, str) and raw.strip() in EXCEL_ERRORS:
        return None, CellError(
            "EXCEL_ERROR",
            f"单元格是 Excel 错误值 {raw.strip()}",
            f"the cell holds the Excel error {raw.strip()}",
            "请修正产生错误的公式，或直接填写数值",
            "fix the formula that fails, or type the value",
        )
    text = as_text(raw)
    if len(text) > MAX_CELL:
        return None, CellError(
            "TOO_LONG",
            f"内容过长（{len(text)} 个字符）",
            f"the cell is too long ({len(text)} characters)",
            f"请精简到 {MAX_CELL} 个字符以内",
            f"shorten it to at most {MAX_CELL} characters",
        )
    return _PARSERS[column.kind](column, raw, text)


def _text(_: Column, __: object, text: str) -> tuple[Any, CellError | None]:
    return text.strip(), None


def _code(_: Column, __: object, text: str) -> tuple[Any, CellError | None]:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)), None


def _int(column: Column, raw: object, text: str) -> tuple[Any, CellError | None]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, None
    if isinstance(raw, float) and raw.is_integer():
        return int(raw), None
    digits = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"-?\d{1,9}", digits):
        return int(digits), None
    return None, CellError(
        "WRONG_TYPE",
        "应为整数",
        "must be a whole number",
        f"请在“{column.header}”中填写整数，如 5",
        f"type a whole number in {column.header}, e.g. 5",
    )


def _date(column: Column, raw: object, text: str) -> tuple[Any, CellError | None]:
    if isinstance(raw, datetime):
        if raw.time() == time(0):
            return raw.date(), None
    elif isinstance(raw, date):
        return raw, None
    else:
        value = unicodedata.normalize("NFKC", text).strip()
        match = _DATE.match(value) or _COMPACT_DATE.match(value)
        if match:
            try:
                return date(*(int(g) for g in match.groups())), None
            except ValueError:
                pass
    return None, CellError(
        "WRONG_TYPE",
        "不是有效的日期",
        "is not a valid date",
        f"请在“{column.header}”中填写日期，如 2024-05-01",
        f"type a date in {column.header}, e.g. 2024-05-01",
    )


def _datetime(column: Column, raw: object, text: str) -> tuple[Any, CellError | None]:
    value: datetime | None = None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0))
    else:
        cleaned = unicodedata.normalize("NFKC", text).strip().replace("/", "-")
        try:
            value = datetime.fromisoformat(cleaned)
        except ValueError:
            value = None
    if value is None:
        return None, CellError(
            "WRONG_TYPE",
            "不是有效的时间",
            "is not a valid date and time",
            f"请在“{column.header}”中填写时间，如 2024-05-31 18:00",
            f"type a time in {column.header}, e.g. 2024-05-31 18:00",
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(UTC), None


def _bool(column: Column, _: object, text: str) -> tuple[Any, CellError | None]:
    value = vocab.parse_bool(text)
    if value is None:
        return None, CellError(
            "UNKNOWN_CHOICE",
            f"“{_clip(text)}”不是可选值",
            f"{_clip(text)!r} is not one of the choices",
            f"请在“{column.header}”中选择“是”或“否”",
            f"choose 是 (yes) or 否 (no) in {column.header}",
        )
    return value, None


def _enum(column: Column, _: object, text: str) -> tuple[Any, CellError | None]:
    assert column.enum is not None
    value = vocab.parse_enum(column.enum, text)
    if value is None:
        allowed = "、".join(vocab.choices(column.enum))
        english = ", ".join(m.value for m in column.enum)
        return None, CellError(
            "UNKNOWN_CHOICE",
            f"“{_clip(text)}”不是可选值",
            f"{_clip(text)!r} is not one of the choices",
            f"请从下拉列表中选择：{allowed}",
            f"choose one of the drop-down list: {allowed} ({english})",
        )
    return value, None


def _list(column: Column, raw: object, text: str) -> tuple[Any, CellError | None]:
    items = tuple(item.strip() for item in _SPLIT.split(text) if item.strip())
    if column.key != "aliases" and column.key != "tags":
        items = tuple(_SPACES.sub("", unicodedata.normalize("NFKC", i)) for i in items)
    return items, None


def _mappings(column: Column, _: object, text: str) -> tuple[Any, CellError | None]:
    out: list[FieldMapping] = []
    for item in _SPLIT.split(text):
        if not item.strip():
            continue
        parts = [p.strip() for p in _ARROW.split(item)]
        if len(parts) > 2 or not all(parts):
            return None, CellError(
                "WRONG_TYPE",
                f"“{_clip(item.strip())}”不是“来源信息项→信息项”的形式",
                f"{_clip(item.strip())!r} is not of the form source field→field",
                f"请在“{column.header}”中按“来源信息项→本资源信息项”填写，多个用“、”分隔",
                f"write source field→this dataset's field in {column.header}, separated by 、",
            )
        out.append(FieldMapping(source_field=parts[0], target_field=parts[-1]))
    return tuple(out), None


_PARSERS = {
    ColumnType.TEXT: _text,
    ColumnType.CODE: _code,
    ColumnType.INT: _int,
    ColumnType.DATE: _date,
    ColumnType.DATETIME: _datetime,
    ColumnType.BOOL: _bool,
    ColumnType.ENUM: _enum,
    ColumnType.LIST: _list,
    ColumnType.MAPPINGS: _mappings,
}


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def to_cell(column: Column, value: object) -> object:
    """The cell an export writes for a domain value (None for nothing)."""
    if value is None or value == "" or value == ():
        return None
    kind = column.kind
    if kind is ColumnType.ENUM:
        assert isinstance(value, StrEnum)
        return vocab.label(value)
    if kind is ColumnType.BOOL:
        return vocab.YES if value else vocab.NO
    if kind is ColumnType.LIST:
        assert isinstance(value, tuple)
        return LIST_SEPARATOR.join(str(v) for v in value)
    if kind is ColumnType.MAPPINGS:
        assert isinstance(value, tuple)
        return LIST_SEPARATOR.join(
            m.source_field if m.source_field == m.target_field
            else f"{m.source_field}→{m.target_field}"
            for m in value
        )  # fmt: skip
    if kind is ColumnType.DATETIME:
        assert isinstance(value, datetime)
        return value.astimezone(BEIJING).isoformat(sep=" ")
    return value
