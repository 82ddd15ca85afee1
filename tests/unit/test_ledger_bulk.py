"""Bulk loads: the lazily made change set, and a generated ledger read back after a load."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.generator import LedgerSize, generate_ledger
from catalog.ledger import Ledger, ListFilter, _Made
from catalog.model import Dataset, Entity, Kind
from catalog.principal import SYSTEM_PRINCIPAL
from catalog.problems import ValidationFailed
from catalog.relations import Rel, ref
from graph.port import Direction
from graph.sqlite_store import SqliteGraphStore


def _made(sources: list[int], *, one_each: bool) -> _Made[int]:
    def make(part: list[int]) -> list[int]:  # 0, 1 or 2 items per source
        return [x for s in part for x in [s] * (1 if one_each else s % 3)]

    return _Made(sources, make, one_each=one_each, chunk=7)  # type: ignore[arg-type]


@pytest.mark.parametrize("one_each", [True, False])
def test_a_made_sequence_reads_like_the_list_it_makes(one_each: bool) -> None:
    sources = list(range(50))
    whole = [x for s in sources for x in [s] * (1 if one_each else s % 3)]
    made = _made(sources, one_each=one_each)
    assert list(made) == whole
    for read in (
        lambda m: m[0],
        lambda m: m[-1],
        lambda m: m[3:17],
        lambda m: m[40:],
        lambda m: m[::5],
        len,
        lambda m: list(m)[:20],
    ):
        assert read(_made(sources, one_each=one_each)) == read(whole)
    partly = _made(sources, one_each=one_each)
    first = iter(partly)
    assert [next(first) for _ in range(10)] == whole[:10]
    assert partly[5:25] == whole[5:25]
    assert list(first) == whole[10:]
    with pytest.raises(IndexError):
        _made(sources, one_each=one_each)[len(whole)]


def test_a_generated_ledger_loads_whole_and_reads_back(tmp_path: Path) -> None:
    generated = generate_ledger(seed=3, size=LedgerSize.scaled(3000))
    store = SqliteGraphStore(tmp_path / "g.db")
    ledger = Ledger(store=store)
    entities = generated.entities
    assert ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities) == len(entities)
    datasets = [e for e in entities if isinstance(e, Dataset)]
    assert ledger.count(kind=Kind.DATASET, filter=ListFilter()) == len(datasets)
    sample = datasets[:: max(1, len(datasets) // 50)]
    stored = ledger.get_many(refs=[(Kind.DATASET, d.code) for d in sample])
    assert [stored[(Kind.DATASET, d.code)].entity for d in sample] == sample
    binds = store.edges(
        refs=[ref(Kind.DATASET, d.code) for d in sample], type=Rel.BINDS, direction=Direction.OUT
    )
    for d in sample:
        wanted = sorted((f.data_element, f.name) for f in d.fields if f.data_element)
        got = sorted((e.target.code, e.key) for e in binds[ref(Kind.DATASET, d.code)])
        assert got == wanted
    hits = ledger.search(text=sample[0].name, kinds=[Kind.DATASET], first=100)
    assert sample[0].code in [h.entity.code for h in hits]


def test_a_load_with_a_broken_rule_writes_nothing(tmp_path: Path) -> None:
    generated = generate_ledger(seed=3, size=LedgerSize.scaled(3000))
    entities: list[Entity] = list(generated.entities)
    last = entities[-1]
    entities[-1] = type(last)(**{**last.__dict__, "name": " "})  # type: ignore[arg-type]
    ledger = Ledger(store=SqliteGraphStore(tmp_path / "g.db"))
    with pytest.raises(ValidationFailed) as failed:
        ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities)
    assert [i.path for i in failed.value.issues] == [f"[{len(entities) - 1}].name"]
    assert ledger.count(kind=Kind.DATASET, filter=ListFilter()) == 0
