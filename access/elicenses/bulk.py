"""Bulk issuance files (.xlsx, .csv in UTF-8 or GB18030, .jsonl): rows → `IssueInput`s.

One row per license. The fixed columns may be headed in Chinese or English; every other
column is a 照面 field of the license's type (an empty cell leaves the field out, which the
issuance check then reports as missing). Problems name the file row, so a person can fix it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from access.elicenses.issuance import IssueInput
from catalog.census.reader import UnreadableFile, read_file
from catalog.problems import FieldIssue

COLUMNS: Final = {
    "证照类型代码": "type_code",
    "certificateType": "type_code",
    "颁发机构代码": "issuer_code",
    "issuerCode": "issuer_code",
    "证照标识": "license_id",
    "licenseId": "license_id",
    "流水号": "serial",
    "serial": "serial",
    "版本号": "version",
    "version": "version",
    "证照编号": "number",
    "number": "number",
    "持证主体": "holder_name",
    "holderName": "holder_name",
    "持证主体代码": "holder_code",
    "holderCode": "holder_code",
    "签发日期": "issued_on",
    "issuedOn": "issued_on",
    "有效期起始日期": "valid_from",
    "validFrom": "valid_from",
    "有效期截止日期": "valid_until",
    "validUntil": "valid_until",
}
REQUIRED: Final = ("type_code", "issuer_code", "number", "holder_name", "holder_code", "issued_on")


@dataclass(frozen=True)
class ParsedRow:
    """A row that parsed, and where it came from (`row` is the file's row number)."""

    row: int
    item: IssueInput


@dataclass
class ParsedFile:
    rows: list[ParsedRow]
    issues: list[FieldIssue]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(text: str, where: str, issues: list[FieldIssue]) -> date | None:
    try:
        return date.fromisoformat(text.replace("/", "-")[:10])
    except ValueError:
        issues.append(
            FieldIssue(
                where,
                "DATE",
                "日期格式应为 YYYY-MM-DD",
                "dates are written YYYY-MM-DD",
            )
        )
        return None


SurfaceNames = Callable[[str], frozenset[str]]


def _record(
    values: Mapping[str, str], row: int, issues: list[FieldIssue], surface_names: SurfaceNames
) -> ParsedRow | None:
    fixed: dict[str, str] = {}
    surface: dict[str, str] = {}
    for header, value in values.items():
        if header in COLUMNS:
            fixed[COLUMNS[header]] = value
        elif value:
            surface[header] = value
    # a 照面 field may share its name with a fixed column (签发日期): the cell serves both
    shared = surface_names(fixed.get("type_code", "")) & set(values)
    for header in shared:
        if header in COLUMNS and values[header]:
            surface[header] = values[header]
    start = len(issues)
    for name in REQUIRED:
        if not fixed.get(name):
            header = next(h for h, n in COLUMNS.items() if n == name)
            issues.append(
                FieldIssue(
                    f"第 {row} 行 / row {row}: {header}",
                    "REQUIRED",
                    f"缺少必填列“{header}”",
                    f"the required column {header} is empty",
                )
            )
    issued = (
        _date(fixed.get("issued_on", ""), f"row {row}: 签发日期", issues)
        if fixed.get("issued_on")
        else None
    )
    start_day = (
        _date(fixed["valid_from"], f"row {row}: 有效期起始日期", issues)
        if fixed.get("valid_from")
        else issued
    )
    until = (
        _date(fixed["valid_until"], f"row {row}: 有效期截止日期", issues)
        if fixed.get("valid_until")
        else None
    )
    if len(issues) > start or issued is None or start_day is None:
        return None
    return ParsedRow(
        row,
        IssueInput(
            type_code=fixed["type_code"],
            issuer_code=fixed["issuer_code"],
            number=fixed["number"],
            holder_name=fixed["holder_name"],
            holder_code=fixed["holder_code"],
            issued_on=issued,
            valid_from=start_day,
            valid_until=until,
            surface=surface,
            serial=fixed.get("serial") or None,
            version=fixed.get("version") or "1",
            license_id=fixed.get("license_id") or None,
        ),
    )


def read_issuance_file(path: Path, surface_names: SurfaceNames) -> ParsedFile:
    """Parse a bulk issuance file; unreadable files raise `UnreadableFile`.

    `surface_names(type_code)` gives the 照面 field names of a type (empty if unknown)."""
    issues: list[FieldIssue] = []
    rows: list[ParsedRow] = []
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj: Any = json.loads(line)
            except json.JSONDecodeError:
                issues.append(
                    FieldIssue(f"line {number}", "JSON", "不是合法的 JSON", "not valid JSON")
                )
                continue
            if not isinstance(obj, dict):
                issues.append(
                    FieldIssue(f"line {number}", "JSON", "应为 JSON 对象", "not an object")
                )
                continue
            flat = {k: _text(v) for k, v in obj.items() if k != "surface"}
            flat.update({k: _text(v) for k, v in dict(obj.get("surface") or {}).items()})
            parsed = _record(flat, number, issues, surface_names)
            if parsed:
                rows.append(parsed)
        return ParsedFile(rows, issues)
    sheets = read_file(path)
    if not sheets or not sheets[0].rows:
        raise UnreadableFile("文件中没有数据行", "the file has no rows")
    sheet = sheets[0]
    (_header_row, header_values), *data = sheet.rows
    headers = [_text(h) for h in header_values]
    for number, values in data:
        cells = {h: _text(v) for h, v in zip(headers, values, strict=False) if h}
        if not any(cells.values()):
            continue
        parsed = _record(cells, number, issues, surface_names)
        if parsed:
            rows.append(parsed)
    return ParsedFile(rows, issues)
