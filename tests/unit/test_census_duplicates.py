"""应用查重: near-duplicate systems by Chinese bigram TF-IDF over functions and names."""

from __future__ import annotations

import dataclasses

from catalog.census.duplicates import DEFAULT_THRESHOLD, bigrams, find_duplicate_systems
from catalog.demo.systems import systems
from catalog.model import Lifecycle, System
from tests.factories import GAJ, SCJG

PLANTED = {
    ("SYS-350200-0015", "SYS-350200-0020"),
    ("SYS-350200-0048", "SYS-350200-0050"),
    ("SYS-350200-0001", "SYS-350200-0008"),
    ("SYS-350200-0028", "SYS-350200-0053"),
}


def test_the_demo_flags_exactly_its_planted_near_duplicates() -> None:
    pairs = find_duplicate_systems(systems())
    assert {(p.first, p.second) for p in pairs} == PLANTED
    assert pairs[0].score == 1.0  # identical 功能描述
    assert all(p.score >= DEFAULT_THRESHOLD for p in pairs)
    assert "功能描述相似度" in pairs[0].reason
    assert "functions similarity" in pairs[0].reason_en


def test_focus_keeps_only_pairs_of_the_systems_being_imported() -> None:
    pairs = find_duplicate_systems(systems(), focus={"SYS-350200-0020"})
    assert [(p.first, p.second) for p in pairs] == [("SYS-350200-0015", "SYS-350200-0020")]


def test_bigrams_stay_within_a_phrase() -> None:
    assert set(bigrams("受理、审批")) == {"受理", "审批"}


def _system(code: str, name: str, functions: str, dept: str = SCJG, **kw: object) -> System:
    return System(code=code, name=name, department=dept, functions=functions, **kw)  # type: ignore[arg-type]


def test_decommissioned_systems_and_boilerplate_functions_are_not_evidence() -> None:
    old = _system("A", "原食品流通许可系统", "食品流通许可申请、审查和发证",
                  lifecycle=Lifecycle.DECOMMISSIONED)  # fmt: skip
    new = _system("B", "食品流通许可系统", "食品流通许可申请、审查和发证")
    assert find_duplicate_systems([old, new]) == []
    template = "受理登记、审核审批、证照发放、统计分析"
    many = [_system(f"T{i}", f"第{i}号业务{'甲乙丙丁'[i]}系统", template) for i in range(4)]
    assert find_duplicate_systems(many) == []
    twins = [
        dataclasses.replace(many[0], code="X"),
        dataclasses.replace(many[0], code="Y", department=GAJ),
    ]
    pairs = find_duplicate_systems(many + twins)
    assert {(p.first, p.second) for p in pairs} == {("T0", "X"), ("T0", "Y"), ("X", "Y")}
    assert all(p.score == 1.0 and "通用套话" in p.reason for p in pairs)
