"""Per-request DataLoaders, so that a page of 100 items costs a handful of store queries."""

from __future__ import annotations

from collections.abc import Sequence

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

    async def _load_entities(self, keys: Sequence[EntityKey]) -> list[Stored[Entity] | None]:
        found = self._ledger.get_many(refs=list(keys))
        return [found.get(key) for key in keys]

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
