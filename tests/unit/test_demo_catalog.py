"""The demo catalog (`irs serve --demo`): it loads, it is deterministic, and it hangs together."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from catalog.codes import validate_uscc
from catalog.demo import demo_entities
from catalog.ledger import Ledger, ListFilter
from catalog.model import (
    CertificateType,
    CollectionMode,
    DataElement,
    Dataset,
    Department,
    Entity,
    Kind,
    Lifecycle,
    Matter,
    OneThing,
    SharingType,
    System,
)
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore

NATIONAL_BUNDLES = (
    "新生儿出生一件事",
    "企业信息变更一件事",
    "开办餐饮店一件事",
    "退休一件事",
    "水电气网联合报装一件事",
    "企业破产信息核查一件事",
    "二手房转移登记及水电气联动过户一件事",
    "军人退役一件事",
    "残疾人服务一件事",
    "教育入学一件事",
    "公民身后一件事",
    "企业注销登记一件事",
    "信用修复一件事",
    "初始排污权和排污许可一件事",
    "食品证照注销一件事",
)


@pytest.fixture(scope="module")
def entities() -> list[Entity]:
    return demo_entities()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory, entities: list[Entity]) -> Ledger:
    path: Path = tmp_path_factory.mktemp("demo") / "g.db"
    ledger = Ledger(store=SqliteGraphStore(path))
    assert ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities) == len(entities)
    return ledger


@pytest.mark.parametrize(
    ("kind", "minimum"),
    [
        (Kind.DEPARTMENT, 20),
        (Kind.SYSTEM, 40),
        (Kind.COMPONENT, 10),
        (Kind.DATA_ELEMENT, 60),
        (Kind.DATASET, 120),
        (Kind.CERTIFICATE_TYPE, 15),
        (Kind.MATTER, 80),
        (Kind.ONE_THING, 15),
    ],
)
def test_the_demo_loads_with_enough_of_every_kind(ledger: Ledger, kind: Kind, minimum: int) -> None:
    assert ledger.count(kind=kind, filter=ListFilter()) >= minimum


def test_the_demo_is_deterministic() -> None:
    assert demo_entities() == demo_entities()


def test_codes_are_unique_per_kind(entities: list[Entity]) -> None:
    keys = Counter((type(e).__name__, e.code) for e in entities)
    assert [k for k, n in keys.items() if n > 1] == []


def test_every_named_national_bundle_is_stored_with_its_matters(
    ledger: Ledger, entities: list[Entity]
) -> None:
    codes = {e.name: e.code for e in entities if isinstance(e, OneThing)}
    for name in NATIONAL_BUNDLES:
        stored = ledger.get(kind=Kind.ONE_THING, code=codes[name])
        assert stored is not None, name
        bundle = stored.entity
        assert isinstance(bundle, OneThing)
        assert len(bundle.matters) >= 3, name
        found = ledger.get_many(refs=[(Kind.MATTER, c) for c in bundle.matters])
        assert len(found) == len(bundle.matters), name


def test_searching_a_license_name_finds_the_license_type_first(ledger: Ledger) -> None:
    hits = ledger.search(text="营业执照", kinds=[], first=10)
    assert hits, "no hits for 营业执照"
    top = hits[0].entity
    assert isinstance(top, CertificateType)
    assert top.name == "营业执照"


def test_searching_a_short_name_finds_the_department(ledger: Ledger) -> None:
    hits = ledger.search(text="市场监管", kinds=[], first=20)
    names = [h.entity.name for h in hits if isinstance(h.entity, Department)]
    assert "厦门市市场监督管理局" in names


def test_searching_an_alias_finds_the_department(ledger: Ledger) -> None:
    hits = ledger.search(text="市监局", kinds=[Kind.DEPARTMENT], first=5)
    assert [h.entity.name for h in hits][:1] == ["厦门市市场监督管理局"]


def test_departments_have_distinct_valid_codes_and_short_names(entities: list[Entity]) -> None:
    depts = [e for e in entities if isinstance(e, Department)]
    assert all(validate_uscc(d.code) == d.code for d in depts)
    assert len({d.code for d in depts}) == len(depts)
    assert len({d.short_name for d in depts}) == len(depts)
    assert all(d.aliases for d in depts)


def test_system_codes_and_lifecycles_look_like_a_real_census(entities: list[Entity]) -> None:
    systems = [e for e in entities if isinstance(e, System)]
    assert all(re.fullmatch(r"SYS-350200-\d{4}", s.code) for s in systems)
    states = Counter(s.lifecycle for s in systems)
    assert states[Lifecycle.OPERATING] > len(systems) / 2
    assert all(states[s] > 0 for s in Lifecycle)
    for s in systems:
        assert s.lifecycle_events[-1].to_state is s.lifecycle
        times = [e.at for e in s.lifecycle_events]
        assert times == sorted(times), s.code


def test_prefilled_fields_come_from_a_dataset_that_holds_the_element(
    entities: list[Entity],
) -> None:
    binds = {
        e.code: {f.data_element for f in e.fields if f.data_element}
        for e in entities
        if isinstance(e, Dataset)
    }
    wrong = [
        (m.name, f.name)
        for m in entities
        if isinstance(m, Matter)
        for f in m.form_fields
        if f.prefill_source and f.data_element and f.data_element not in binds[f.prefill_source]
    ]
    assert wrong == []


def test_authoritative_sources_hold_their_element(entities: list[Entity]) -> None:
    binds = {
        e.code: {f.data_element for f in e.fields if f.data_element}
        for e in entities
        if isinstance(e, Dataset)
    }
    elements = [e for e in entities if isinstance(e, DataElement)]
    with_source = [e for e in elements if e.authoritative_dataset]
    assert len(with_source) > len(elements) / 2
    assert len(with_source) < len(elements), "some elements should have no single source"
    assert [e.name for e in with_source if e.code not in binds[e.authoritative_dataset or ""]] == []


def test_the_demo_has_redundant_collection_to_find(entities: list[Entity]) -> None:
    """Forms that make the applicant retype data with an authoritative source exist."""
    sourced = {e.code for e in entities if isinstance(e, DataElement) and e.authoritative_dataset}
    retyped = {
        m.name
        for m in entities
        if isinstance(m, Matter)
        for f in m.form_fields
        if f.collection is CollectionMode.ORIGINAL and f.data_element in sourced
    }
    assert len(retyped) >= 10
    assert "义务教育招生入学报名" in retyped


def test_not_shared_datasets_carry_their_legal_basis_and_hold_all_secrets(
    entities: list[Entity],
) -> None:
    datasets = [e for e in entities if isinstance(e, Dataset)]
    not_shared = [d for d in datasets if d.sharing_type is SharingType.NOT_SHARED]
    assert len(not_shared) >= 3
    assert all("《" in d.sharing_condition for d in not_shared)
    assert all(
        d.sharing_type is SharingType.NOT_SHARED
        for d in datasets
        if any(f.secret for f in d.fields)
    )
    assert any(f.secret for d in not_shared for f in d.fields)
    categories = Counter(d.category for d in datasets)
    assert set(categories) == {"基础信息资源", "主题信息资源", "部门信息资源"}
    for base in ("人口基础信息库", "法人基础信息库", "一人一档", "一企一档", "电子证照库"):
        assert any(d.name == base for d in datasets), base


def test_matter_and_certificate_codes_follow_their_patterns(entities: list[Entity]) -> None:
    matters = [e for e in entities if isinstance(e, Matter)]
    assert all(re.fullmatch(r"350200-\d{12}-\d{2}", m.code) for m in matters)
    assert len({m.name for m in matters}) == len(matters)
    depts = {e.code for e in entities if isinstance(e, Department)}
    certs = [e for e in entities if isinstance(e, CertificateType)]
    assert all(c.code[:18] in depts for c in certs)
    assert {c.name for c in certs} >= {"营业执照", "食品经营许可证", "出生医学证明", "居民身份证"}
