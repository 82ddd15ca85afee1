"""The ledger's use cases (一本账): register, update, move lifecycle, bulk load, browse, search.

Every write is validated in full (all broken rules at once), checked against the principal's
department, and applied through the graph port as one atomic change set. Updates are patches
retried on version conflicts, so two operators editing different fields both keep their edit.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from catalog.collector import collector_paused
from catalog.lineage import Lineage
from catalog.mapping import adopt_props, to_props
from catalog.model import (
    KIND_LABEL_ZH,
    KIND_OF,
    LIFECYCLE_ORDER,
    TYPE_OF,
    Dataset,
    Department,
    Entity,
    Kind,
    Lifecycle,
    LifecycleEvent,
    Page,
    Stored,
    System,
)
from catalog.principal import Principal
from catalog.problems import Conflict, FieldIssue, Forbidden, NotFound, ValidationFailed
from catalog.relations import edges_of, owner_of, ref, references, search_text
from catalog.rules import validate_entity
from graph.port import (
    ChangeSet,
    CountRow,
    EdgeReplace,
    GraphStore,
    Node,
    NodeQuery,
    NodeWrite,
    VersionConflict,
    iter_pages,
)

T = TypeVar("T")
MAX_PAGE = 100
RECENT_ENTITIES = 1024  # decoded entities `get_recent` keeps per thread
MAX_BULK = 200_000
_RETRIES = 30


def _backoff(attempt: int) -> None:
    """Wait a little before retrying after a concurrent write (jittered, capped at ~0.3 s)."""
    time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))  # noqa: S311 - jitter only


def utc_now() -> datetime:
    """The current time in UTC (the ledger's default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ListFilter:
    """Filters of a catalog list: owner department, exact field values, name substring."""

    department: str | None = None
    equals: Mapping[str, str | int | bool] = dataclasses.field(default_factory=dict)
    name_contains: str | None = None


@dataclass(frozen=True)
class DepartmentTotals:
    """Per-department counts of each kind, and of systems per lifecycle state."""

    department: str
    counts: Mapping[Kind, int]
    lifecycle: Mapping[Lifecycle, int]


@dataclass(frozen=True)
class LedgerSummary:
    """City-wide totals and the per-department breakdown."""

    totals: Mapping[Kind, int]
    lifecycle: Mapping[Lifecycle, int]
    departments: Sequence[DepartmentTotals]


class Ledger:
    """Use cases of the catalog ledger over a `GraphStore`."""

    def __init__(self, *, store: GraphStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._lineage = Lineage(store=store)
        self._recent = threading.local()  # per thread: (read mark, {(kind, code): Stored})

    # -- reads ----------------------------------------------------------------------------

    def get(self, *, kind: Kind, code: str) -> Stored[Entity] | None:
        """One entity by code, or None."""
        return self.get_many(refs=[(kind, code)]).get((kind, code))

    def get_recent(self, *, kind: Kind, code: str) -> Stored[Entity] | None:
        """`get` for hot paths that read the same few entities again and again (a licensed
        call reads its certificate type): decoded entities are kept while the store's read
        mark stands, i.e. until anyone writes anything, so the answer is always `get`'s. On a
        store that cannot tell (`read_mark` None) this is `get`."""
        mark = self._store.read_mark()
        if mark is None:
            return self.get(kind=kind, code=code)
        held: tuple[Hashable, dict[tuple[Kind, str], Stored[Entity]]] | None = getattr(
            self._recent, "held", None
        )
        if held is None or held[0] != mark or len(held[1]) >= RECENT_ENTITIES:
            held = self._recent.held = (mark, {})
        found = held[1].get((kind, code))
        if found is None:
            found = self.get(kind=kind, code=code)
            if found is not None:  # stored under the mark read before it: never too new
                held[1][(kind, code)] = found
        return found

    def get_many(
        self, *, refs: Sequence[tuple[Kind, str]]
    ) -> dict[tuple[Kind, str], Stored[Entity]]:
        """Entities by (kind, code), in one store round trip; missing ones are absent."""
        nodes = self._store.get_nodes(refs=[ref(k, c) for k, c in refs])
        return {(Kind(r.label), r.code): _stored(n) for r, n in nodes.items()}

    def page(
        self, *, kind: Kind, filter: ListFilter, after: str | None, first: int
    ) -> Page[Stored[Entity]]:
        """One keyset page of `kind` ordered by code; `first` is capped at `MAX_PAGE`."""
        if first < 0 or first > MAX_PAGE:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "first",
                        "PAGE_SIZE",
                        f"每页条数应在 0–{MAX_PAGE} 之间",
                        f"page size must be between 0 and {MAX_PAGE}",
                    )
                ]
            )
        query = self._query(kind, filter)
        nodes = self._store.find_nodes(query=query, after=after, limit=first + 1)
        return Page(items=[_stored(n) for n in nodes[:first]], has_next=len(nodes) > first)

    def all(self, *, kind: Kind, filter: ListFilter | None = None) -> list[Entity]:
        """Every entity of `kind` matching `filter`, ordered by code (no page cap: for
        exports, analyses and duplicate checks, not for API pages)."""
        query = self._query(kind, filter or ListFilter())
        return [_stored(n).entity for page in iter_pages(self._store, query=query) for n in page]

    def count(self, *, kind: Kind, filter: ListFilter) -> int:
        """How many entities of `kind` match `filter`."""
        return self._store.count_nodes(query=self._query(kind, filter))

    @staticmethod
    def _query(kind: Kind, filter: ListFilter) -> NodeQuery:
        return NodeQuery(
            label=kind.value,
            owner=filter.department,
            equals=dict(filter.equals),
            name_contains=filter.name_contains,
        )

    def search(self, *, text: str, kinds: Sequence[Kind], first: int) -> list[Stored[Entity]]:
        """Entities whose name or description matches `text` (Chinese-aware), best first."""
        first = max(0, min(first, MAX_PAGE))
        hits = self._store.search(text=text, labels=[k.value for k in kinds], limit=first)
        nodes = self._store.get_nodes(refs=[h.ref for h in hits])
        return [_stored(nodes[h.ref]) for h in hits if h.ref in nodes]

    def summary(self) -> LedgerSummary:
        """Per-department totals of every kind and lifecycle counts of systems."""
        per_dept: dict[str, dict[Kind, int]] = {}
        totals: dict[Kind, int] = {}
        for kind in Kind:
            if kind is Kind.DEPARTMENT:
                continue
            for row in self._store.count_by(label=kind.value, prop=None):
                totals[kind] = totals.get(kind, 0) + row.count
                if row.owner:
                    per_dept.setdefault(row.owner, {})[kind] = row.count
        totals[Kind.DEPARTMENT] = self._store.count_nodes(query=NodeQuery(Kind.DEPARTMENT.value))
        lifecycle: dict[Lifecycle, int] = {}
        per_dept_life: dict[str, dict[Lifecycle, int]] = {}
        rows: list[CountRow] = self._store.count_by(label=Kind.SYSTEM.value, prop="lifecycle")
        for row in rows:
            if row.value is None:
                continue
            state = Lifecycle(row.value)
            lifecycle[state] = lifecycle.get(state, 0) + row.count
            if row.owner:
                per_dept_life.setdefault(row.owner, {})[state] = row.count
        lifecycle = {s: lifecycle[s] for s in LIFECYCLE_ORDER if s in lifecycle}
        per_dept_life = {
            code: {s: counts[s] for s in LIFECYCLE_ORDER if s in counts}
            for code, counts in per_dept_life.items()
        }
        departments = [
            DepartmentTotals(code, per_dept.get(code, {}), per_dept_life.get(code, {}))
            for code in sorted(set(per_dept) | set(per_dept_life))
        ]
        return LedgerSummary(totals, lifecycle, departments)

    # -- writes ---------------------------------------------------------------------------

    def register(self, *, principal: Principal, entity: Entity) -> Stored[Entity]:
        """Add a new entity; refuses a code that exists, a broken rule or a foreign owner."""
        self._authorize(principal, entity)
        if isinstance(entity, System) and not entity.lifecycle_events:
            entity = dataclasses.replace(
                entity,
                lifecycle_events=(
                    LifecycleEvent(
                        from_state=None,
                        to_state=entity.lifecycle,
                        at=self._clock(),
                        by=principal.name,
                        note="登记",
                    ),
                ),
            )
        self._validate([entity])
        try:
            self._store.apply(changes=self._changes([entity], principal, expect_version=0))
        except VersionConflict as exc:
            kind = KIND_OF[type(entity)]
            raise Conflict(
                f"{KIND_LABEL_ZH[kind]}编码 {entity.code} 已存在，请使用更新操作或换一个编码",
                f"{kind.value} {entity.code} already exists; update it or use another code",
            ) from exc
        return self._require(KIND_OF[type(entity)], entity.code)

    def update(
        self,
        *,
        principal: Principal,
        kind: Kind,
        code: str,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Stored[Entity]:
        """Apply a patch of domain fields to an existing entity.

        With `expected_version` the patch applies only to that version (Conflict otherwise);
        without it the patch is re-applied to the newest version on a concurrent write.
        """
        forbidden = {"code", "lifecycle", "lifecycle_events"} & set(changes)
        if forbidden:
            name = sorted(forbidden)[0]
            raise ValidationFailed(
                [
                    FieldIssue(
                        name,
                        "READ_ONLY",
                        "编码和生命周期不能通过更新修改（生命周期请用 moveSystemLifecycle）",
                        "code and lifecycle cannot be updated here (use moveSystemLifecycle)",
                    )
                ]
            )
        for attempt in range(_RETRIES):
            current = self._require(kind, code)
            if expected_version is not None and current.version != expected_version:
                raise _stale(kind, code, expected_version, current.version)
            self._authorize(principal, current.entity)
            try:
                updated = dataclasses.replace(current.entity, **changes)
            except TypeError as exc:
                raise ValidationFailed(
                    [
                        FieldIssue(
                            "input", "UNKNOWN_FIELD", f"未知字段：{exc}", f"unknown field: {exc}"
                        )
                    ]
                ) from exc
            if owner_of(updated) != owner_of(current.entity) and not principal.is_admin:
                raise Forbidden(
                    "只有管理员可以变更资源的所属部门",
                    "only an admin may move a resource to another department",
                )
            self._validate([updated])
            try:
                self._store.apply(
                    changes=self._changes([updated], principal, expect_version=current.version)
                )
            except VersionConflict:
                if expected_version is not None:
                    raise _stale(kind, code, expected_version, -1) from None
                _backoff(attempt)
                continue
            return self._require(kind, code)
        raise Conflict("并发修改过于频繁，请稍后重试", "too many concurrent updates; retry later")

    def move_lifecycle(
        self,
        *,
        principal: Principal,
        code: str,
        to: Lifecycle,
        note: str = "",
        expected_version: int | None = None,
        force: bool = False,
    ) -> Stored[Entity]:
        """Move a system forward in its lifecycle, recording when and by whom.

        Decommissioning a system that others depend on is refused with the list of
        dependants, unless an admin forces it.
        """
        if to is Lifecycle.DECOMMISSIONED:
            self._check_dependants(principal, code, force=force)
        for attempt in range(_RETRIES):
            current = self._require(Kind.SYSTEM, code)
            system = current.entity
            assert isinstance(system, System)
            if expected_version is not None and current.version != expected_version:
                raise _stale(Kind.SYSTEM, code, expected_version, current.version)
            self._authorize(principal, system)
            if LIFECYCLE_ORDER.index(to) <= LIFECYCLE_ORDER.index(system.lifecycle):
                raise ValidationFailed(
                    [
                        FieldIssue(
                            "to",
                            "LIFECYCLE_BACKWARD",
                            f"生命周期只能向前推进：当前为 {system.lifecycle.value}，"
                            f"不能改为 {to.value}",
                            f"lifecycle only moves forward: it is {system.lifecycle.value}, "
                            f"cannot become {to.value}",
                        )
                    ]
                )
            event = LifecycleEvent(
                from_state=system.lifecycle,
                to_state=to,
                at=self._clock(),
                by=principal.name,
                note=note,
            )
            moved = dataclasses.replace(
                system, lifecycle=to, lifecycle_events=(*system.lifecycle_events, event)
            )
            try:
                self._store.apply(
                    changes=self._changes([moved], principal, expect_version=current.version)
                )
            except VersionConflict:
                _backoff(attempt)
                continue
            return self._require(Kind.SYSTEM, code)
        raise Conflict("并发修改过于频繁，请稍后重试", "too many concurrent updates; retry later")

    def load(self, *, principal: Principal, entities: Sequence[Entity]) -> int:
        """Create or replace many entities at once (demo, census import): all valid or none.

        References may point at other entities of the same batch.
        """
        if len(entities) > MAX_BULK:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "entities",
                        "TOO_MANY",
                        f"一次最多 {MAX_BULK} 条",
                        f"at most {MAX_BULK} at once",
                    )
                ]
            )
        for entity in entities:
            self._authorize(principal, entity)
        with collector_paused():
            self._validate(entities, indexed=True)
            changes = self._changes(entities, principal, expect_version=None, lazy=True)
            self._store.apply(changes=changes)
        return len(entities)

    def _check_dependants(self, principal: Principal, code: str, *, force: bool) -> None:
        if force and not principal.is_admin:
            raise Forbidden(
                "只有管理员可以强制注销仍被依赖的系统",
                "only an admin may force the decommissioning of a system others depend on",
            )
        if force:
            return
        impact = self._lineage.impact(root=ref(Kind.SYSTEM, code))
        if impact.affected:
            listed = "；".join(
                f"{KIND_LABEL_ZH[k]}：{'、'.join(codes[:20])}"
                for k, codes in impact.affected.items()
            )
            listed_en = "; ".join(
                f"{k.value}: {', '.join(codes[:20])}" for k, codes in impact.affected.items()
            )
            raise Conflict(
                f"系统仍被依赖，不能注销（{listed}）；如确需注销请由管理员强制执行",
                f"the system still has dependants and cannot be decommissioned ({listed_en}); "
                "an admin may force it",
            )

    # -- helpers --------------------------------------------------------------------------

    def _require(self, kind: Kind, code: str) -> Stored[Entity]:
        found = self.get(kind=kind, code=code)
        if found is None:
            raise NotFound(KIND_LABEL_ZH[kind], code)
        return found

    @staticmethod
    def _authorize(principal: Principal, entity: Entity) -> None:
        if isinstance(entity, Department):
            if not principal.is_admin:
                raise Forbidden(
                    "只有管理员可以登记或修改部门",
                    "only an admin may register or change departments",
                )
            return
        if not principal.owns(entity.department):
            raise Forbidden(
                f"无权维护其他部门的资源（{entity.code} 属于 {entity.department}）",
                f"you may not maintain another department's resource "
                f"({entity.code} belongs to {entity.department})",
            )

    def _validate(self, entities: Sequence[Entity], *, indexed: bool = False) -> None:
        issues: list[FieldIssue] = []
        batch = {(KIND_OF[type(e)], e.code) for e in entities}
        wanted: list[tuple[str, Kind, str]] = []
        seen: set[tuple[Kind, str]] = set()
        for i, entity in enumerate(entities):
            prefix = f"[{i}]." if indexed else ""
            key = (KIND_OF[type(entity)], entity.code)
            if indexed and key in seen:
                issues.append(
                    FieldIssue(
                        f"{prefix}code",
                        "DUPLICATE",
                        f"批次内编码重复：{entity.code}",
                        f"duplicate code in batch: {entity.code}",
                    )
                )
            seen.add(key)
            issues += validate_entity(entity, prefix=prefix).issues
            wanted += [
                (prefix + r.path, r.kind, r.code)
                for r in references(entity)
                if (r.kind, r.code) not in batch
            ]
        datasets = [e for e in entities if isinstance(e, Dataset)]
        if any(d.derived_from for d in datasets):
            by_code = {d.code: d for d in datasets}
            for i, entity in enumerate(entities):
                if isinstance(entity, Dataset) and entity.derived_from:
                    prefix = f"[{i}]." if indexed else ""
                    issues += [
                        FieldIssue(prefix + x.path, x.code, x.message, x.message_en)
                        for x in self._lineage.classification_issues([entity], by_code)
                    ]
        broken = {i.path for i in issues}  # a malformed code is not looked up as well
        wanted = [w for w in wanted if w[0] not in broken]
        if wanted:
            found = self._store.get_nodes(
                refs=list(dict.fromkeys(ref(k, c) for _p, k, c in wanted))
            )
            for path, kind, code in wanted:
                if ref(kind, code) not in found:
                    issues.append(
                        FieldIssue(
                            path,
                            f"UNKNOWN_{kind.name}",
                            f"{KIND_LABEL_ZH[kind]} {code} 不存在，请先登记或核对编码",
                            f"{kind.value} {code} does not exist; "
                            "register it first or check the code",
                        )
                    )
        if issues:
            raise ValidationFailed(issues)

    def _changes(
        self,
        entities: Sequence[Entity],
        principal: Principal,
        *,
        expect_version: int | None,
        lazy: bool = False,
    ) -> ChangeSet:
        """The change set writing `entities`; `lazy`: made as the store reads it (`_Made`)."""
        names = self._department_names(entities)

        def node_writes(part: Sequence[Entity]) -> list[NodeWrite]:
            return [
                NodeWrite(
                    ref=ref(KIND_OF[type(e)], e.code),
                    props=to_props(e),
                    owner=owner_of(e),
                    search_text=search_text(e, department_name=names.get(owner_of(e) or "", "")),
                    by=principal.name,
                    expect_version=expect_version,
                )
                for e in part
            ]

        def edge_replaces(part: Sequence[Entity]) -> list[EdgeReplace]:
            return [edge for e in part for edge in edges_of(e)]

        if lazy:
            return ChangeSet(
                nodes=_Made(entities, node_writes, one_each=True),
                edges=_Made(entities, edge_replaces),
            )
        return ChangeSet(nodes=node_writes(entities), edges=edge_replaces(entities))

    def _department_names(self, entities: Sequence[Entity]) -> dict[str, str]:
        names = {e.code: _display_names(e) for e in entities if isinstance(e, Department)}
        missing = {owner_of(e) for e in entities} - set(names) - {None}
        if missing:
            nodes = self._store.get_nodes(refs=[ref(Kind.DEPARTMENT, c) for c in missing if c])
            for node in nodes.values():
                dept = _stored(node).entity
                assert isinstance(dept, Department)
                names[dept.code] = _display_names(dept)
        return names


class _Made(Sequence[T]):
    """The items `make` makes of `sources`, made a chunk of sources at a time on first access
    and kept, in order. Why: a bulk load's change set is made of 100k entities (~4 s of
    Python); the embedded store reads a change set a batch at a time and writes each batch in
    the background, so a change set made this way is made while SQLite writes the batches
    before it instead of before SQLite starts. `one_each`: one item per source, so the length
    is known without making anything."""

    def __init__(
        self,
        sources: Sequence[Entity],
        make: Callable[[Sequence[Entity]], list[T]],
        *,
        one_each: bool = False,
        chunk: int = 1000,
    ) -> None:
        self._sources = sources
        self._make = make
        self._one_each = one_each
        self._chunk = chunk
        self._items: list[T] = []
        self._made = 0  # sources made so far

    def _more(self) -> bool:
        """Make the next chunk; False when every source is made."""
        if self._made >= len(self._sources):
            return False
        end = min(self._made + self._chunk, len(self._sources))
        self._items += self._make(self._sources[self._made : end])
        self._made = end
        return True

    def _make_until(self, count: int) -> None:
        while len(self._items) < count and self._more():
            pass

    def __len__(self) -> int:
        if self._one_each:
            return len(self._sources)
        self._make_until(sys.maxsize)
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            self._make_until(index.indices(len(self))[1])
            return self._items[index]
        self._make_until(sys.maxsize if index < 0 else index + 1)
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        i = 0
        while True:
            while i >= len(self._items):
                if not self._more():
                    return
            yield self._items[i]
            i += 1


def _display_names(dept: Department) -> str:
    return " ".join([dept.name, dept.short_name, *dept.aliases])


def _stale(kind: Kind, code: str, expected: int, actual: int) -> Conflict:
    return Conflict(
        f"{KIND_LABEL_ZH[kind]} {code} 已被他人修改（版本 {expected} 已过期），请刷新后重试",
        f"{kind.value} {code} was changed by someone else (version {expected} is stale); "
        "reload and retry",
    )


_TYPE_OF_LABEL: dict[str, type[Entity]] = {kind.value: cls for kind, cls in TYPE_OF.items()}
_new = object.__new__
_set_attr = object.__setattr__


def _stored(node: Node) -> Stored[Entity]:
    """The entity of a node this ledger just read. Its props are nobody else's (every store
    read decodes its own), so they are adopted rather than copied (`adopt_props`); the
    `Stored` is filled in as its `__init__` would (a page makes a hundred)."""
    props = node.props
    entity = adopt_props(
        _TYPE_OF_LABEL[node.ref.label], props if type(props) is dict else dict(props)
    )
    stored: Stored[Entity] = _new(Stored)
    _set_attr(
        stored,
        "__dict__",
        {
            "entity": entity,
            "version": node.version,
            "created_at": node.created_at,
            "updated_at": node.updated_at,
            "updated_by": node.updated_by,
        },
    )
    return stored
