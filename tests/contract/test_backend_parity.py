"""Neo4j and the embedded store answer the same questions identically on the same generated
ledgers (property-based: random seeds and sizes, random questions)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.generator import LedgerSize, generate_ledger
from catalog.ledger import Ledger, ListFilter
from catalog.model import Kind
from catalog.principal import SYSTEM_PRINCIPAL
from catalog.relations import ALL_RELATIONS
from graph.port import Direction, NodeRef
from graph.sqlite_store import SqliteGraphStore
from tests.conftest import empty_neo4j_store

pytestmark = pytest.mark.neo4j


@settings(
    max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(seed=st.integers(0, 10_000), datasets=st.integers(5, 40), departments=st.integers(2, 6))
def test_both_backends_answer_alike(seed: int, datasets: int, departments: int) -> None:
    size = LedgerSize(
        departments=departments,
        systems=datasets // 3 + 1,
        components=3,
        data_elements=20,
        datasets=datasets,
        fields_per_dataset=4,
        certificate_types=4,
        matters=8,
        form_fields_per_matter=3,
        one_things=2,
    )
    entities = generate_ledger(seed=seed, size=size).entities
    neo4j = empty_neo4j_store()
    with tempfile.TemporaryDirectory() as tmp:
        embedded = SqliteGraphStore(Path(tmp) / "g.db")
        ledgers = [Ledger(store=embedded), Ledger(store=neo4j)]
        for ledger in ledgers:
            ledger.load(principal=SYSTEM_PRINCIPAL, entities=entities)
        rng = random.Random(seed)
        by_kind: dict[Kind, list[str]] = {}
        for e in entities:
            by_kind.setdefault(next(k for k in Kind if k.value == type(e).__name__), []).append(
                e.code
            )
        depts = by_kind[Kind.DEPARTMENT]

        def ask(ledger: Ledger) -> list[object]:
            answers: list[object] = []
            for kind in Kind:
                page = ledger.page(kind=kind, filter=ListFilter(), after=None, first=100)
                answers.append([(s.entity, s.version) for s in page.items])
                dept = ListFilter(department=rng.choice(depts))
                answers.append(ledger.count(kind=kind, filter=dept))
            for value in ("UNCONDITIONAL", "CONDITIONAL", "NOT_SHARED"):
                flt = ListFilter(equals={"sharing_type": value})
                answers.append(
                    [
                        s.entity.code
                        for s in ledger.page(
                            kind=Kind.DATASET, filter=flt, after=None, first=100
                        ).items
                    ]
                )
            names = [e.name for e in entities]
            for _ in range(5):
                name = rng.choice(names)
                start = rng.randrange(max(1, len(name) - 2))
                word = name[start : start + rng.randint(2, 4)]
                answers.append(
                    sorted(s.entity.code for s in ledger.search(text=word, kinds=[], first=100))
                )
            answers.append(ledger.summary())
            store = ledger._store
            for _ in range(5):
                kind = rng.choice([Kind.DATASET, Kind.SYSTEM, Kind.DEPARTMENT, Kind.MATTER])
                start_ref = NodeRef(kind.value, rng.choice(by_kind[kind]))
                walk = store.traverse(
                    start=start_ref,
                    types=ALL_RELATIONS,
                    direction=Direction.BOTH,
                    depth=2,
                    limit=50,
                )
                answers.append((dict(walk.nodes), list(walk.edges), walk.truncated))
            return answers

        state = rng.getstate()
        first = ask(ledgers[0])
        rng.setstate(state)
        second = ask(ledgers[1])
        embedded.close()
    neo4j.close()
    assert first == second
