"""Small builders that turn the demo's compact hand-written rows into catalog entities.

Field lists are written the way a catalog sheet lists 信息项, separated by "、":

* ``姓名`` – a field bound to the data element of the same name;
* ``母亲身份证号=公民身份号码`` – a field bound to a differently named data element;
* ``经营场所`` – a field with no data element (its type is guessed from the name);
* a trailing ``!`` marks a field sensitive, ``#`` secret (涉密), ``~`` not sensitive; a field
  bound to a personal data element is sensitive unless marked ``~``.

Matter form fields use the same names, plus ``@GA-00001`` for a field prefilled from that
dataset (otherwise the applicant types it: ORIGINAL) and a trailing ``?`` for an optional field.
"""

from __future__ import annotations

from catalog.demo.departments import dept_code, dept_short
from catalog.demo.elements import element_row
from catalog.demo.seed import publish_date, rng_for
from catalog.demo.systems import system_code
from catalog.model import (
    CollectionMode,
    DataFormat,
    Dataset,
    DatasetField,
    FieldType,
    FormField,
    Grade,
    OpenType,
    SharingMethod,
    SharingType,
    SurfaceField,
    UpdateCycle,
)

REGION = "350200"

CATEGORIES = {"基础": "基础信息资源", "主题": "主题信息资源", "部门": "部门信息资源"}
SHARING = {
    "U": SharingType.UNCONDITIONAL,
    "C": SharingType.CONDITIONAL,
    "N": SharingType.NOT_SHARED,
}
OPENING = {"U": OpenType.UNCONDITIONAL, "C": OpenType.CONDITIONAL, "N": OpenType.NOT_OPEN}
GRADES = {"G": Grade.GENERAL, "I": Grade.IMPORTANT, "C": Grade.CORE}
CYCLES = {
    "R": UpdateCycle.REALTIME,
    "D": UpdateCycle.DAILY,
    "W": UpdateCycle.WEEKLY,
    "M": UpdateCycle.MONTHLY,
    "Q": UpdateCycle.QUARTERLY,
    "Y": UpdateCycle.YEARLY,
    "I": UpdateCycle.IRREGULAR,
}
METHODS = {"A": SharingMethod.API, "F": SharingMethod.FILE, "B": SharingMethod.DATABASE}


def dataset_code(short: str) -> str:
    """The full resource code of a demo dataset, e.g. ``GA-00001`` → ``350200-GA-00001``."""
    return f"{REGION}-{short}"


def parse_fields(spec: str) -> tuple[DatasetField, ...]:
    """Dataset fields from a "、"-separated list (see the module docstring)."""
    return tuple(_field(token.strip()) for token in spec.split("、") if token.strip())


def _field(token: str) -> DatasetField:
    flags = ""
    while token and token[-1] in "!#~":
        flags += token[-1]
        token = token[:-1]
    name, _, bound = token.partition("=")
    element_name = bound or name
    try:
        row = element_row(element_name)
    except KeyError:
        if bound:
            raise
        data_type, length = guess_type(name)
        return DatasetField(
            name=name,
            data_type=data_type,
            length=length,
            sensitive="!" in flags or "#" in flags,
            secret="#" in flags,
        )
    personal = row.personal and "~" not in flags
    return DatasetField(
        name=name,
        data_type=row.type,
        length=row.length,
        data_element=row.code,
        sensitive=personal or "!" in flags or "#" in flags,
        secret="#" in flags,
    )


def guess_type(name: str) -> tuple[FieldType, int | None]:
    """A plausible type and length for a field that has no data element."""
    if name.startswith("是否"):
        return FieldType.BOOLEAN, None
    if name.endswith("日期") or name.endswith("年月"):
        return FieldType.DATE, None
    if name.endswith("时间"):
        return FieldType.DATETIME, None
    if any(w in name for w in ("照片", "影像", "扫描件", "附件")):
        return FieldType.BINARY, None
    if any(w in name for w in ("金额", "资本", "面积", "费", "余额", "基数", "比例", "排放量")):
        return FieldType.DECIMAL, 18
    if name.endswith(("人数", "次数", "数量", "床位数", "年限", "学位数", "年度")):
        return FieldType.INTEGER, None
    if any(w in name for w in ("意见", "说明", "描述", "内容", "原因", "情况", "范围")):
        return FieldType.STRING, 2000
    if any(w in name for w in ("名称", "地址", "场所", "坐落", "单位")):
        return FieldType.STRING, 200
    if any(w in name for w in ("编号", "号码", "代码", "编码", "证号", "文号")):
        return FieldType.STRING, 40
    return FieldType.STRING, 100


def ds(
    code: str,
    name: str,
    summary: str,
    fields: str,
    *,
    cat: str = "部门",
    share: str = "C",
    cond: str = "",
    open_: str = "N",
    open_cond: str = "",
    grade: str = "G",
    cycle: str = "",
    fmt: DataFormat = DataFormat.DATABASE,
    method: str = "",
    system: int | None = None,
    tags: tuple[str, ...] = (),
) -> Dataset:
    """A dataset from a compact row; `code` is ``DEPT-NNNNN`` and names its provider.

    Update cycle and sharing method default to seeded choices, the publish date is seeded.
    """
    key = code.split("-")[0]
    full = dataset_code(code)
    rng = rng_for("dataset", full)
    sharing = SHARING[share]
    if not cond and sharing is SharingType.CONDITIONAL:
        cond = (
            f"用于依法履行职责或办理政务服务事项，经{dept_short(key)}审核同意后按最小必要原则共享"
        )
    if not cond and sharing is SharingType.NOT_SHARED:
        raise ValueError(f"{full}: a NOT_SHARED dataset needs its legal basis")
    opening = OPENING[open_]
    if opening is OpenType.CONDITIONAL and not open_cond:
        open_cond = "签订公共数据开放利用协议并经数据提供部门审核同意后开放"
    if not cycle:
        cycle = rng.choice("DDDWMMQI")
    if not method:
        method = rng.choice("AAAAFB")
    return Dataset(
        code=full,
        name=name,
        department=dept_code(key),
        summary=summary,
        category=CATEGORIES[cat],
        format=fmt,
        fields=parse_fields(fields),
        sharing_type=sharing,
        sharing_condition=cond,
        sharing_method=METHODS[method],
        open_type=opening,
        open_condition=open_cond,
        grade=GRADES[grade],
        update_cycle=CYCLES[cycle],
        publish_date=publish_date(full),
        source_system=system_code(system) if system is not None else None,
        tags=tags,
    )


def parse_surface(spec: str) -> tuple[SurfaceField, ...]:
    """照面 fields of a certificate type, written like dataset fields."""
    return tuple(
        SurfaceField(name=f.name, data_element=f.data_element, sensitive=f.sensitive)
        for f in parse_fields(spec)
    )


def parse_form(spec: str) -> tuple[FormField, ...]:
    """Form fields of a matter (see the module docstring)."""
    out: list[FormField] = []
    for raw in spec.split("、"):
        token = raw.strip()
        if not token:
            continue
        required = not token.endswith("?")
        token = token.rstrip("?")
        token, _, source = token.partition("@")
        name, _, bound = token.partition("=")
        try:
            element: str | None = element_row(bound or name).code
        except KeyError:
            if bound:
                raise
            element = None
        out.append(
            FormField(
                name=name,
                data_element=element,
                required=required,
                collection=CollectionMode.PREFILL if source else CollectionMode.ORIGINAL,
                prefill_source=dataset_code(source) if source else None,
            )
        )
    return tuple(out)
