"""Per-request DataLoaders, so that a page of 100 items costs a handful of store queries.

A listed page also says which entities its items refer to (`expect`): the first of them asked
for fetches them all in one query, and every one is then answered at once, without a
DataLoader round through the event loop for each item."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from catalog.ledger import Ledger
from catalog.model import Entity, Kind, Stored
from catalog.relations import ref
from graph.port import Direction, GraphStore, NodeRef

EntityKey = tuple[Kind, str]
EdgeKey = tuple[Kind, str, str, Direction]


class Loaders:
    """Batching loaders for entities by code and for neighbours along an edge type."""

    def __init__(self, *, ledger: Ledger, store: GraphStore) -> None:
        self._ledger = ledger
        self._store = store
        self.entity: DataLoader[EntityKey, Stored[Entity] | None] = DataLoader(
            load_fn=self._load_entities
        )
        self.neighbours: DataLoader[EdgeKey, list[EntityKey]] = DataLoader(
            load_fn=self._load_neighbours
        )
        self._expected: dict[EntityKey, None] = {}  # referred to by a page, not fetched yet
        self._known: dict[EntityKey, Stored[Entity] | None] = {}  # fetched for a page
        # GraphQL objects made from `_known` entities, shared by the items that refer to them
        self.built: dict[EntityKey, Any] = {}

    def expect(self, keys: Iterable[EntityKey]) -> None:
        """Note entities a listed page refers to; nothing is fetched until one is asked for."""
        known = self._known
        self._expected.update((key, None) for key in keys if key not in known)

    def entity_soon(
        self, key: EntityKey
    ) -> Stored[Entity] | Awaitable[Stored[Entity] | None] | None:
        """The entity at once when a page expected it (with every other expected one, in one
        query the first time), else through the batching loader."""
        known = self._known
        if key in known:
            return known[key]
        if key in self._expected:
            batch = list(self._expected)
            self._expected.clear()
            found = self._ledger.get_many(refs=batch)
            known.update((k, found.get(k)) for k in batch)
            return known[key]
        return self.entity.load(key)

    async def _load_entities(self, keys: Sequence[EntityKey]) -> list[Stored[Entity] | None]:
        known = self._known
        missing = [key for key in keys if key not in known]
        found = self._ledger.get_many(refs=missing) if missing else {}
        return [known[key] if key in known else found.get(key) for key in keys]

    async def _load_neighbours(self, keys: Sequence[EdgeKey]) -> list[list[EntityKey]]:
        groups: dict[tuple[str, Direction], list[NodeRef]] = {}
        for kind, code, rel, direction in keys:
            groups.setdefault((rel, direction), []).append(ref(kind, code))
        answers: dict[EdgeKey, list[EntityKey]] = {}
        for (rel, direction), refs in groups.items():
            edges = self._store.edges(refs=refs, type=rel, direction=direction)
            for near, found in edges.items():
                far = [e.target if direction is Direction.OUT else e.source for e in found]
                answers[(Kind(near.label), near.code, rel, direction)] = [
                    (Kind(r.label), r.code) for r in dict.fromkeys(far)
                ]
        return [answers.get(key, []) for key in keys]

    async def many(self, keys: Sequence[EntityKey]) -> list[Stored[Entity]]:
        """Entities for `keys`, skipping any that vanished."""
        loaded = await self.entity.load_many(list(keys))
        return [s for s in loaded if s is not None]
