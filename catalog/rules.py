"""Validation rules of the ledger that need no storage: code formats, check characters,
catalog-field consistency. Each broken rule becomes a `FieldIssue` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from catalog.codes import CodeError, validate_uscc
from catalog.model import (
    CertificateType,
    CollectionMode,
    Dataset,
    Department,
    Entity,
    Matter,
    OneThing,
    OpenType,
    SharingType,
    System,
)
from catalog.problems import IssueCollector

GENERIC_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/-]{1,63}$")
CERTIFICATE_TYPE_CODE = re.compile(r"^[0-9A-Z]{18}[0-9]{3}$")
MAX_NAME = 100
MAX_TEXT = 4000


def validate_entity(entity: Entity, *, prefix: str = "") -> IssueCollector:
    """Every storage-free rule broken by `entity`; paths are prefixed with `prefix`."""
    out = IssueCollector()
    p = prefix
    _check_code(entity, out, p)
    _check_text(out, f"{p}name", entity.name, required=True, limit=MAX_NAME)
    if not isinstance(entity, Department):
        _check_uscc(out, f"{p}department", entity.department)
    if isinstance(entity, System):
        _check_text(out, f"{p}summary", entity.summary, limit=MAX_TEXT)
        _check_text(out, f"{p}functions", entity.functions, limit=MAX_TEXT)
    if isinstance(entity, Dataset):
        _check_dataset(entity, out, p)
    if isinstance(entity, CertificateType):
        for i, dept in enumerate(entity.issuing_departments):
            _check_uscc(out, f"{p}issuingDepartments[{i}]", dept)
        _check_unique(out, f"{p}surfaceFields", [f.name for f in entity.surface_fields])
        if entity.validity_years is not None and not 0 < entity.validity_years <= 100:
            out.add(
                f"{p}validityYears",
                "OUT_OF_RANGE",
                "有效年限应在 1–100 之间",
                "validity years must be between 1 and 100",
            )
    if isinstance(entity, Matter):
        _check_matter(entity, out, p)
    if isinstance(entity, OneThing):
        _check_unique(out, f"{p}matters", list(entity.matters))
        if not entity.matters:
            out.add(
                f"{p}matters",
                "REQUIRED",
                "一件事至少包含一个事项",
                "a one-thing bundle must include at least one matter",
            )
    return out


def _check_code(entity: Entity, out: IssueCollector, p: str) -> None:
    if isinstance(entity, Department):
        _check_uscc(out, f"{p}code", entity.code)
    elif isinstance(entity, CertificateType):
        if not CERTIFICATE_TYPE_CODE.match(entity.code):
            out.add(
                f"{p}code",
                "FORMAT",
                "证照类型代码应为定义机构的统一社会信用代码（18位）加3位数字顺序码",
                "certificate type code must be the defining body's 18-character unified "
                "social credit code followed by a 3-digit sequence number",
            )
        else:
            _check_uscc(out, f"{p}code", entity.code[:18])
    elif not GENERIC_CODE.match(entity.code):
        out.add(
            f"{p}code",
            "FORMAT",
            "编码只能由字母、数字和 . _ / - 组成，长度 2–64 位",
            "code must be 2–64 characters of letters, digits and . _ / -",
        )


def _check_uscc(out: IssueCollector, path: str, code: str) -> None:
    problem = _uscc_problem(code)
    if problem is not None:
        out.add(path, *problem)


@lru_cache(maxsize=4096)
def _uscc_problem(code: str) -> tuple[str, str, str] | None:
    """What is wrong with a USCC (issue code, message, English message), or None; cached,
    as a bulk load names the same few departments on every entity."""
    try:
        normalized = validate_uscc(code)
    except CodeError as err:
        return f"USCC_{err.reason.upper()}", err.message, err.message_en
    if normalized != code:
        return (
            "USCC_NOT_NORMALIZED",
            "统一社会信用代码应使用大写字母且无空格",
            "unified social credit code must be upper-case without spaces",
        )
    return None


def _check_text(
    out: IssueCollector, path: str, value: str, *, required: bool = False, limit: int
) -> None:
    if required and not value.strip():
        out.add(path, "REQUIRED", "不能为空", "must not be empty")
    elif len(value) > limit:
        out.add(
            path, "TOO_LONG", f"长度不能超过 {limit} 个字符", f"must be at most {limit} characters"
        )


def _check_unique(out: IssueCollector, path: str, names: Iterable[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name.strip():
            out.add(f"{path}[{i}]", "REQUIRED", "名称不能为空", "name must not be empty")
        elif name in seen:
            out.add(f"{path}[{i}]", "DUPLICATE", f"名称重复：{name}", f"duplicate name: {name}")
        seen.add(name)


def _check_dataset(ds: Dataset, out: IssueCollector, p: str) -> None:
    _check_text(out, f"{p}summary", ds.summary, required=True, limit=MAX_TEXT)
    if not ds.fields:
        out.add(
            f"{p}fields",
            "REQUIRED",
            "信息资源至少包含一个信息项",
            "a dataset must have at least one field",
        )
    _check_unique(out, f"{p}fields", [f.name for f in ds.fields])
    if ds.sharing_type is SharingType.NOT_SHARED and ds.open_type is not OpenType.NOT_OPEN:
        out.add(
            f"{p}openType",
            "NOT_SHARED_IMPLIES_NOT_OPEN",
            "不予共享的信息资源必须为不予开放，请将开放属性改为“不予开放”",
            "a NOT_SHARED dataset must be NOT_OPEN; set openType to NOT_OPEN",
        )
    if ds.sharing_type is SharingType.CONDITIONAL and not ds.sharing_condition.strip():
        out.add(
            f"{p}sharingCondition",
            "REQUIRED",
            "有条件共享的信息资源必须说明共享条件",
            "a CONDITIONAL dataset must state its sharing condition",
        )
    if ds.sharing_type is SharingType.NOT_SHARED and not ds.sharing_condition.strip():
        out.add(
            f"{p}sharingCondition",
            "REQUIRED",
            "不予共享的信息资源必须说明依据（法律法规或政策）",
            "a NOT_SHARED dataset must state the legal basis for not sharing",
        )
    if ds.open_type is OpenType.CONDITIONAL and not ds.open_condition.strip():
        out.add(
            f"{p}openCondition",
            "REQUIRED",
            "有条件开放的信息资源必须说明开放条件",
            "a CONDITIONAL open dataset must state its opening condition",
        )
    if any(f.secret for f in ds.fields) and ds.sharing_type is not SharingType.NOT_SHARED:
        out.add(
            f"{p}sharingType",
            "SECRET_FIELD_SHARED",
            "含涉密信息项的信息资源必须为不予共享",
            "a dataset with a secret field must be NOT_SHARED",
        )
    if any(f.sensitive for f in ds.fields) and ds.open_type is OpenType.UNCONDITIONAL:
        out.add(
            f"{p}openType",
            "SENSITIVE_FIELD_OPEN",
            "含敏感信息项的信息资源不能无条件开放",
            "a dataset with a sensitive field cannot be UNCONDITIONAL open",
        )
    names = {f.name for f in ds.fields}
    for i, d in enumerate(ds.derived_from):
        if d.source == ds.code:
            out.add(
                f"{p}derivedFrom[{i}].source",
                "SELF_DERIVED",
                "信息资源不能由自身派生",
                "a dataset cannot be derived from itself",
            )
        if d.since and d.until and d.until <= d.since:
            out.add(
                f"{p}derivedFrom[{i}].until",
                "PERIOD",
                "结束时间必须晚于开始时间",
                "until must be after since",
            )
        for j, m in enumerate(d.fields):
            if m.target_field not in names:
                out.add(
                    f"{p}derivedFrom[{i}].fields[{j}].targetField",
                    "UNKNOWN_FIELD",
                    f"本资源没有信息项“{m.target_field}”",
                    f"this dataset has no field {m.target_field!r}",
                )
    for i, f in enumerate(ds.fields):
        if f.length is not None and not 0 < f.length <= 1_000_000:
            out.add(
                f"{p}fields[{i}].length",
                "OUT_OF_RANGE",
                "长度应为正整数",
                "length must be a positive integer",
            )


def _check_matter(m: Matter, out: IssueCollector, p: str) -> None:
    _check_unique(out, f"{p}formFields", [f.name for f in m.form_fields])
    _check_unique(out, f"{p}materials", list(m.materials))
    for i, f in enumerate(m.form_fields):
        path = f"{p}formFields[{i}]"
        if f.collection is CollectionMode.PREFILL and not f.prefill_source:
            out.add(
                f"{path}.prefillSource",
                "REQUIRED",
                "预填的表单项必须指明来源信息资源",
                "a PREFILL form field must name its source dataset",
            )
        if f.collection is CollectionMode.ORIGINAL and f.prefill_source:
            out.add(
                f"{path}.prefillSource",
                "UNEXPECTED",
                "原始采集的表单项不应有预填来源；若可预填请将采集方式改为 PREFILL",
                "an ORIGINAL form field has no prefill source; use PREFILL if it is prefilled",
            )
    if m.time_limit_days is not None and not 0 <= m.time_limit_days <= 3650:
        out.add(
            f"{p}timeLimitDays",
            "OUT_OF_RANGE",
            "承诺时限应在 0–3650 天之间",
            "time limit must be between 0 and 3650 days",
        )
