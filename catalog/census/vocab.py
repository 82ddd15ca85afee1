"""The Chinese words a census clerk reads and types for each enumerated column.

Each domain enum has one label shown in the templates' drop-down lists (the first one listed
here) and a few synonyms accepted on import, so a sheet filled from an older form (运行 for
运维, 规划 for 谋划) or by a machine (the English enum value, any case) still reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from catalog.model import (
    CollectionMode,
    DataFormat,
    FieldType,
    Grade,
    HolderKind,
    Lifecycle,
    OpenType,
    SharingMethod,
    SharingType,
    UpdateCycle,
)

# The first word of each tuple is the label the templates show; the rest are accepted too.
LABELS: Mapping[type[StrEnum], Mapping[StrEnum, tuple[str, ...]]] = {
    SharingType: {
        SharingType.UNCONDITIONAL: ("无条件共享",),
        SharingType.CONDITIONAL: ("有条件共享",),
        SharingType.NOT_SHARED: ("不予共享",),
    },
    OpenType: {
        OpenType.UNCONDITIONAL: ("无条件开放",),
        OpenType.CONDITIONAL: ("有条件开放",),
        OpenType.NOT_OPEN: ("不予开放",),
    },
    Grade: {
        Grade.GENERAL: ("一般", "一般数据"),
        Grade.IMPORTANT: ("重要", "重要数据"),
        Grade.CORE: ("核心", "核心数据"),
    },
    Lifecycle: {
        Lifecycle.PLANNED: ("谋划", "规划", "计划"),
        Lifecycle.DEVELOPING: ("开发", "建设", "在建"),
        Lifecycle.OPERATING: ("运维", "运行", "在用"),
        Lifecycle.DECOMMISSIONED: ("注销", "停用", "下线"),
    },
    UpdateCycle: {
        UpdateCycle.REALTIME: ("实时",),
        UpdateCycle.DAILY: ("每日", "每天"),
        UpdateCycle.WEEKLY: ("每周",),
        UpdateCycle.MONTHLY: ("每月",),
        UpdateCycle.QUARTERLY: ("每季度", "每季"),
        UpdateCycle.YEARLY: ("每年",),
        UpdateCycle.IRREGULAR: ("不定期",),
    },
    SharingMethod: {
        SharingMethod.API: ("接口", "接口调用"),
        SharingMethod.FILE: ("文件下载", "文件"),
        SharingMethod.DATABASE: ("库表交换", "库表"),
    },
    DataFormat: {
        DataFormat.DATABASE: ("数据库",),
        DataFormat.ELECTRONIC_FILE: ("电子文件",),
        DataFormat.SPREADSHEET: ("电子表格",),
        DataFormat.IMAGE: ("图像", "图片"),
        DataFormat.STREAM: ("流媒体",),
        DataFormat.OTHER: ("其他",),
    },
    FieldType: {
        FieldType.STRING: ("字符型", "字符串", "文本"),
        FieldType.INTEGER: ("整数型", "整数"),
        FieldType.DECIMAL: ("数值型", "数值", "小数"),
        FieldType.DATE: ("日期型", "日期"),
        FieldType.DATETIME: ("日期时间型", "日期时间"),
        FieldType.BOOLEAN: ("布尔型", "是否型"),
        FieldType.BINARY: ("二进制", "二进制型"),
    },
    HolderKind: {
        HolderKind.PERSON: ("自然人", "个人"),
        HolderKind.ENTERPRISE: ("法人", "法人及其他组织", "企业"),
    },
    CollectionMode: {
        CollectionMode.ORIGINAL: ("原始采集", "申请人填写"),
        CollectionMode.PREFILL: ("共享预填", "预填"),
    },
}

TRUE_WORDS = ("是", "Y", "YES", "TRUE", "1", "√")
FALSE_WORDS = ("否", "N", "NO", "FALSE", "0", "×")
YES, NO = TRUE_WORDS[0], FALSE_WORDS[0]


def label(value: StrEnum) -> str:
    """The Chinese label of an enum value, as the templates show it."""
    return LABELS[type(value)][value][0]


def choices(enum: type[StrEnum]) -> tuple[str, ...]:
    """The drop-down list of an enumerated column, in the enum's order."""
    return tuple(LABELS[enum][member][0] for member in enum)


def _build_lookup() -> dict[type[StrEnum], dict[str, StrEnum]]:
    out: dict[type[StrEnum], dict[str, StrEnum]] = {}
    for enum, members in LABELS.items():
        words: dict[str, StrEnum] = {}
        for member, synonyms in members.items():
            words[member.value.upper()] = member
            for word in synonyms:
                words[word] = member
        out[enum] = words
    return out


_LOOKUP = _build_lookup()


def parse_enum(enum: type[StrEnum], text: str) -> StrEnum | None:
    """The enum value a clerk meant by `text` (label, synonym or English value), or None."""
    word = text.strip()
    return _LOOKUP[enum].get(word) or _LOOKUP[enum].get(word.upper())


def parse_bool(text: str) -> bool | None:
    """是/否 (and Y/N, TRUE/FALSE, 1/0, √/×) as a bool, or None when it is neither."""
    word = text.strip().upper()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
