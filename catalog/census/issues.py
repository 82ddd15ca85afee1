"""A ledger rule's field path (``[12].fields[3].dataElement``) shown where the clerk typed it:
file, sheet, Excel row and column header, with the value found and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from catalog.census.assemble import Origin, Parsed
from catalog.census.cells import as_text, is_blank
from catalog.census.report import RowProblem, shown
from catalog.census.sheets import CHILDREN, ColumnType
from catalog.problems import FieldIssue

# "[12].fields[3].dataElement"; deeper paths ("[1].derivedFrom[0].fields[2].targetField") are
# shown at the cell that holds the nested list (字段映射).
_PATH = re.compile(r"^\[(\d+)\]\.([A-Za-z]+)(?:\[(\d+)\])?(?:\.([A-Za-z]+))?")

_FIXES: dict[str, tuple[str, str]] = {
    "REQUIRED": ("请填写该项", "fill it in"),
    "TOO_LONG": ("请精简内容", "shorten it"),
    "DUPLICATE": ("请删除重复的项或改用另一个名称/编码", "remove the repeat or rename it"),
    "FORMAT": ("请按说明表中的编码格式修改", "correct the code as the instructions sheet says"),
    "OUT_OF_RANGE": ("请改为允许范围内的数值", "use a value within the allowed range"),
    "FORBIDDEN": (
        "只能导入本部门的资源；请删除该行，或由管理员导入",
        "import only your department's resources; remove the row or ask an admin",
    ),
}
_USCC_FIX = (
    "请对照营业执照或统一社会信用代码证书逐位核对",
    "check it character by character against the registration certificate",
)
_UNKNOWN_FIX = (
    "请在本次导入中一并提供该资源，或先登记，或核对编码",
    "include it in this import, register it first, or check the code",
)
_DEFAULT_FIX = ("按问题说明修改后重新导入", "correct it as described and import again")


def fix_for(code: str) -> tuple[str, str]:
    """How to fix a broken rule of this code, in Chinese and English."""
    if code.startswith("USCC_"):
        return _USCC_FIX
    if code.startswith("UNKNOWN_"):
        return _UNKNOWN_FIX
    return _FIXES.get(code, _DEFAULT_FIX)


def issue_problem(items: Sequence[Parsed], issue: FieldIssue) -> tuple[int | None, RowProblem]:
    """The entity index an issue belongs to (None for a batch-wide one) and its problem."""
    fix, fix_en = fix_for(issue.code)
    match = _PATH.match(issue.path)
    if match is None or int(match.group(1)) >= len(items):
        return None, RowProblem(
            "", "", None, "", "", issue.code, issue.message, issue.message_en, fix, fix_en
        )
    index = int(match.group(1))
    name, position, attr = match.group(2), match.group(3), match.group(4)
    item = items[index]
    origin, header, value = _locate(item, name, None if position is None else int(position), attr)
    return index, RowProblem(
        file=origin.source,
        sheet=origin.sheet,
        row=origin.row,
        column=header,
        value=value,
        code=issue.code,
        message=issue.message,
        message_en=issue.message_en,
        fix=fix,
        fix_en=fix_en,
    )


def _locate(
    item: Parsed, name: str, position: int | None, attr: str | None
) -> tuple[Origin, str, str]:
    main = item.main
    for child in CHILDREN.get(main.spec.name, ()):
        if child.collection is None or _camel(child.collection) != name:
            continue
        rows = item.children.get(child.collection, [])
        if position is None or position >= len(rows):
            return main, child.name, ""
        origin = rows[position]
        column = child.column(attr or "name")
        if column is None:
            return origin, "", ""
        return origin, column.header, _value(origin.raw.get(column.key))
    column = main.spec.column(name)
    if column is None:
        return main, "", ""
    raw = main.raw.get(column.key)
    if position is not None and column.kind is ColumnType.LIST:
        values = main.values.get(column.key) or ()
        return main, column.header, values[position] if position < len(values) else ""
    return main, column.header, _value(raw)


def _value(raw: object) -> str:
    return "" if is_blank(raw) else shown(as_text(raw))


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)
