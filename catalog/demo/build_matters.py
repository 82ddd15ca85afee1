"""Builder for demo matters (政务服务事项) and their codes.

A matter code here is ``350200-`` + a 12-digit basic code + ``-`` + a 2-digit 办理项 number:
the basic code is the 2-digit power type (01 行政许可, 05 行政给付, 07 行政确认, 10 其他行政权力,
20 公共服务), the department's 4-digit number, a 3-digit item number and ``000``; variants of one
item (新办/变更/延续/注销) share the basic code and differ in the 办理项 number.
"""

from __future__ import annotations

from catalog.demo.build import REGION, parse_form
from catalog.demo.certificates import cert_code
from catalog.demo.departments import dept_code, dept_no
from catalog.model import Matter

POWER_TYPES = {
    "行政许可": "01",
    "行政给付": "05",
    "行政确认": "07",
    "其他行政权力": "10",
    "公共服务": "20",
}


def matter_code(dept: str, item: int, variant: int, category: str) -> str:
    """The code of a demo matter from its department key, item, variant and category."""
    basic = f"{POWER_TYPES[category]}{dept_no(dept):04d}{item:03d}000"
    return f"{REGION}-{basic}-{variant:02d}"


def mt(
    dept: str,
    item: int,
    variant: int,
    name: str,
    category: str,
    days: int | None,
    form: str,
    materials: str = "",
    summary: str = "",
) -> Matter:
    """A matter from a compact row; `materials` names certificate types, separated by "、"."""
    return Matter(
        code=matter_code(dept, item, variant, category),
        name=name,
        department=dept_code(dept),
        category=category,
        summary=summary,
        form_fields=parse_form(form),
        materials=tuple(cert_code(m) for m in materials.split("、") if m),
        time_limit_days=days,
    )
