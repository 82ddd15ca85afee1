"""Tests for catalog.generator: determinism, validity under the catalog rules, lineage shape."""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import subprocess
import sys
from collections import Counter
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.generator import GeneratedLedger, LedgerSize, generate_ledger
from catalog.ledger import Ledger, ListFilter
from catalog.model import (
    KIND_OF,
    CertificateType,
    CollectionMode,
    DataElement,
    Dataset,
    Department,
    Grade,
    Kind,
    Matter,
    OneThing,
    OpenType,
    SharingType,
)
from catalog.principal import SYSTEM_PRINCIPAL
from catalog.problems import ValidationFailed
from catalog.relations import references
from catalog.rules import GENERIC_CODE, validate_entity
from graph.sqlite_store import SqliteGraphStore

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)

_COUNT_OF: dict[Kind, str] = {
    Kind.DEPARTMENT: "departments",
    Kind.SYSTEM: "systems",
    Kind.COMPONENT: "components",
    Kind.DATA_ELEMENT: "data_elements",
    Kind.DATASET: "datasets",
    Kind.CERTIFICATE_TYPE: "certificate_types",
    Kind.MATTER: "matters",
    Kind.ONE_THING: "one_things",
}


def assert_valid(ledger: GeneratedLedger, size: LedgerSize) -> None:
    """Every rule holds, references point backwards, counts and lineage are as promised."""
    counts = Counter(KIND_OF[type(e)] for e in ledger.entities)
    assert {k: counts[k] for k in _COUNT_OF} == {k: getattr(size, n) for k, n in _COUNT_OF.items()}
    assert len(ledger.entities) == size.total_resources

    kinds_in_order = list(dict.fromkeys(KIND_OF[type(e)] for e in ledger.entities))
    expected_order = [
        Kind.DEPARTMENT,
        Kind.COMPONENT,
        Kind.SYSTEM,
        Kind.DATA_ELEMENT,
        Kind.DATASET,
        Kind.CERTIFICATE_TYPE,
        Kind.MATTER,
        Kind.ONE_THING,
    ]
    assert kinds_in_order == [k for k in expected_order if counts[k]]

    seen: set[tuple[Kind, str]] = set()
    for i, entity in enumerate(ledger.entities):
        issues = validate_entity(entity, prefix=f"[{i}].").issues
        assert not issues, issues
        for r in references(entity):
            assert (r.kind, r.code) in seen, f"[{i}] {entity.code}: {r} is not earlier"
        key = (KIND_OF[type(entity)], entity.code)
        assert key not in seen, f"duplicate {key}"
        seen.add(key)
        if not isinstance(entity, Department | CertificateType):
            assert GENERIC_CODE.match(entity.code)
        if isinstance(entity, CertificateType):
            assert entity.code[:18] == entity.department
        if isinstance(entity, DataElement):
            assert entity.authoritative_dataset is None
        if isinstance(entity, Dataset):
            assert len(entity.fields) == size.fields_per_dataset
            if any(f.secret for f in entity.fields):
                assert entity.sharing_type is SharingType.NOT_SHARED
            if entity.open_type is OpenType.UNCONDITIONAL:
                assert not any(f.sensitive for f in entity.fields)
        if isinstance(entity, Matter):
            assert len(entity.form_fields) == size.form_fields_per_matter

    assert_lineage(ledger)


def assert_lineage(ledger: GeneratedLedger) -> None:
    codes = [e.code for e in ledger.entities if isinstance(e, Dataset)]
    known = set(codes)
    assert len(set(ledger.derivations)) == len(ledger.derivations), "duplicate pairs"
    graph: dict[str, list[str]] = {code: [] for code in codes}
    for derived, source in ledger.derivations:
        assert derived in known
        assert source in known
        assert derived != source
        graph[derived].append(source)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - only on failure
        pytest.fail(f"derivations have a cycle: {exc.args[1]}")


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_equal_ledgers() -> None:
    first = generate_ledger(seed=7, size=LedgerSize.small())
    second = generate_ledger(seed=7, size=LedgerSize.small())
    assert first == second
    assert first.derivations == second.derivations


def test_different_seeds_give_different_ledgers() -> None:
    first = generate_ledger(seed=1, size=LedgerSize.small())
    second = generate_ledger(seed=2, size=LedgerSize.small())
    assert first.entities != second.entities
    assert first.derivations != second.derivations


def test_generation_leaves_global_random_alone() -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate_ledger(seed=5, size=LedgerSize.small())
    assert random.random() == expected


_DIGEST = (
    "import hashlib; from catalog.generator import LedgerSize, generate_ledger; "
    "g = generate_ledger(seed=11, size=LedgerSize.small()); "
    "print(hashlib.sha256(repr((g.entities, g.derivations)).encode()).hexdigest())"
)


def test_output_does_not_depend_on_hash_randomization() -> None:
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        digests.add(done.stdout.strip())
    g = generate_ledger(seed=11, size=LedgerSize.small())
    digests.add(hashlib.sha256(repr((g.entities, g.derivations)).encode()).hexdigest())
    assert len(digests) == 1


# --------------------------------------------------------------------------- validity


def test_small_ledger_is_valid() -> None:
    size = LedgerSize.small()
    assert_valid(generate_ledger(seed=0, size=size), size)


def test_small_ledger_loads_into_the_ledger(tmp_path: Path) -> None:
    generated = generate_ledger(seed=3, size=LedgerSize.small())
    store = SqliteGraphStore(tmp_path / "g.db")
    try:
        ledger = Ledger(store=store)
        try:
            loaded = ledger.load(principal=SYSTEM_PRINCIPAL, entities=generated.entities)
        except ValidationFailed as exc:  # pragma: no cover - only on failure
            pytest.fail(f"generated ledger does not validate: {exc.issues[:5]}")
        assert loaded == len(generated.entities)
        assert ledger.count(kind=Kind.DATASET, filter=ListFilter()) == 50
        assert ledger.count(kind=Kind.DEPARTMENT, filter=ListFilter()) == 10
    finally:
        store.close()


@st.composite
def sizes(draw: st.DrawFn) -> LedgerSize:
    matters = draw(st.integers(0, 12))
    return LedgerSize(
        departments=draw(st.integers(1, 8)),
        systems=draw(st.integers(0, 10)),
        components=draw(st.integers(0, 4)),
        data_elements=draw(st.integers(0, 40)),
        datasets=draw(st.integers(0, 40)),
        fields_per_dataset=draw(st.integers(1, 12)),
        certificate_types=draw(st.integers(0, 10)),
        matters=matters,
        form_fields_per_matter=draw(st.integers(0, 8)),
        one_things=draw(st.integers(0, 4)) if matters else 0,
        derivations_per_dataset=draw(st.integers(0, 6)),
    )


@DETERMINISTIC
@given(size=sizes(), seed=st.integers(0, 2**32))
def test_every_generated_ledger_is_valid(size: LedgerSize, seed: int) -> None:
    assert_valid(generate_ledger(seed=seed, size=size), size)


def test_empty_size_gives_empty_ledger() -> None:
    assert generate_ledger(seed=1, size=LedgerSize()) == GeneratedLedger()


def test_many_departments_and_elements_keep_names_and_codes_unique() -> None:
    size = LedgerSize(departments=400, data_elements=1500, certificate_types=900, datasets=10)
    ledger = generate_ledger(seed=9, size=size)
    assert_valid(ledger, size)
    for cls in (Department, DataElement):
        names = [e.name for e in ledger.entities if isinstance(e, cls)]
        assert len(set(names)) == len(names), cls


def test_mix_covers_every_rule_branch() -> None:
    ledger = generate_ledger(seed=4, size=LedgerSize.scaled(3000))
    datasets = [e for e in ledger.entities if isinstance(e, Dataset)]
    assert {d.sharing_type for d in datasets} == set(SharingType)
    assert {d.open_type for d in datasets} == set(OpenType)
    assert {d.grade for d in datasets} == set(Grade)
    assert any(f.secret for d in datasets for f in d.fields)
    assert any(
        f.sensitive for d in datasets if d.open_type is not OpenType.UNCONDITIONAL for f in d.fields
    )
    assert all(
        d.sharing_condition for d in datasets if d.sharing_type is not SharingType.UNCONDITIONAL
    )
    matters = [e for e in ledger.entities if isinstance(e, Matter)]
    modes = {f.collection for m in matters for f in m.form_fields}
    assert modes == set(CollectionMode)
    assert any(m.materials for m in matters)
    bundles = [e for e in ledger.entities if isinstance(e, OneThing)]
    assert bundles
    assert all(1 <= len(b.matters) <= 8 for b in bundles)


def test_names_look_like_a_chinese_catalog() -> None:
    ledger = generate_ledger(seed=2, size=LedgerSize.small())
    depts = {e.code: e for e in ledger.entities if isinstance(e, Department)}
    for e in ledger.entities:
        if isinstance(e, Dataset):
            owner = depts[e.department]
            assert e.name.startswith(
                owner.aliases[0] if owner.region == "350200" else owner.short_name
            )
            assert e.summary.startswith(owner.name)
    assert all(d.name.startswith("厦门市") for d in depts.values())


# --------------------------------------------------------------------------- sizes


def test_presets() -> None:
    small = LedgerSize.small()
    assert (small.departments, small.datasets) == (10, 50)
    bench = LedgerSize.benchmark()
    assert bench.datasets == 100_000
    assert bench.fields_per_dataset == 8
    assert bench.derivations_per_dataset == 4
    assert (bench.departments, bench.systems, bench.components, bench.data_elements) == (
        50,
        2000,
        20,
        500,
    )
    assert (bench.certificate_types, bench.matters, bench.one_things) == (200, 2000, 100)
    assert LedgerSize.scaled(bench.total_resources) == bench


@pytest.mark.parametrize("total", [1, 7, 100, 1000, 25_000])
def test_scaled_is_proportionate(total: int) -> None:
    size = LedgerSize.scaled(total)
    assert size.departments >= 1
    assert size.datasets >= 1
    assert abs(size.total_resources - total) <= max(2, total // 100)
    if total >= 100:
        assert size.datasets >= size.total_resources * 0.9


def test_scaled_zero_is_empty() -> None:
    assert LedgerSize.scaled(0) == LedgerSize()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"datasets": -1},
        {"datasets": 1},  # no department to own it
        {"departments": 1, "fields_per_dataset": 0},
        {"departments": 1, "one_things": 1},
        {"departments": 1, "certificate_types": 1000},
        {"departments": 1, "systems": True},
    ],
)
def test_impossible_sizes_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"."):
        LedgerSize(**kwargs)


def test_999_certificate_types_fit_one_department() -> None:
    size = LedgerSize(departments=1, certificate_types=999)
    ledger = generate_ledger(seed=1, size=size)
    codes = [e.code for e in ledger.entities if isinstance(e, CertificateType)]
    assert codes[-1].endswith("999")
    assert_valid(ledger, size)


# --------------------------------------------------------------------------- lineage


def test_lineage_mean_and_locality() -> None:
    size = LedgerSize(departments=5, datasets=5000, fields_per_dataset=2)
    ledger = generate_ledger(seed=6, size=size)
    assert_lineage(ledger)
    index = {e.code: i for i, e in enumerate(e for e in ledger.entities if isinstance(e, Dataset))}
    mean = len(ledger.derivations) / size.datasets
    assert 3.6 <= mean <= 4.1
    gaps = [index[d] - index[s] for d, s in ledger.derivations]
    assert all(g > 0 for g in gaps)
    local = sum(1 for g in gaps if g <= 400) / len(gaps)
    assert 0.75 <= local <= 0.95


def test_no_derivations_when_asked_for_none() -> None:
    size = LedgerSize(departments=2, datasets=30, derivations_per_dataset=0)
    assert generate_ledger(seed=1, size=size).derivations == []


@pytest.mark.slow
def test_benchmark_upstream_neighbourhoods_are_about_a_thousand() -> None:
    ledger = generate_ledger(seed=1, size=LedgerSize.benchmark())
    assert len(ledger.entities) == LedgerSize.benchmark().total_resources
    upstream: dict[str, list[str]] = {}
    for derived, source in ledger.derivations:
        upstream.setdefault(derived, []).append(source)
    codes = [e.code for e in ledger.entities if isinstance(e, Dataset)]
    rng = random.Random(0)
    sizes_5hop = []
    for start in rng.sample(codes[len(codes) // 2 :], 200):
        seen = {start}
        frontier = [start]
        for _hop in range(5):
            frontier = [s for c in frontier for s in upstream.get(c, ()) if s not in seen]
            seen.update(frontier)
            frontier = list(dict.fromkeys(frontier))
        sizes_5hop.append(len(seen) - 1)
    assert 700 <= statistics.median(sizes_5hop) <= 1500
