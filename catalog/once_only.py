"""数据最多采一次: where each data element is collected, and where it is collected again although
an authoritative source could fill it.

A matter's form field that collects a data element ORIGINAL while the element has a shareable
authoritative source is a redundant collection; the prefill plan names the source for every
field; a required material whose e-license type is shareable can be waived (免提交). The
once-only score of a matter is the share of its data items (bound form fields + materials)
that are neither redundant collections nor waivable materials still demanded; departments and
the city aggregate over their matters. A matter of the department that owns the authoritative
source is where that source collects the data (企业设立登记 fills 市场主体登记信息): not redundant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from catalog.mapping import from_props
from catalog.model import (
    CollectionMode,
    DataElement,
    Kind,
    SharingType,
)
from catalog.relations import Rel, ref
from graph.port import Direction, GraphStore, NodeQuery, iter_pages

PAGE = 2000


class PrefillMode(StrEnum):
    """How a form field gets its value in the plan."""

    PREFILLED = "PREFILLED"  # already prefilled from a named source
    SUGGESTED = "SUGGESTED"  # collected by hand, but a source could fill it
    MUST_COLLECT = "MUST_COLLECT"  # no shareable source: the applicant is the first source
    SOURCE_OF_TRUTH = "SOURCE_OF_TRUTH"  # this matter is where the authoritative source collects it


@dataclass(frozen=True)
class PrefillStep:
    field: str
    data_element: str
    mode: PrefillMode
    source: str | None


Authority = dict[str, tuple[str, str | None]]  # element → (shareable source, its owner)


class MatterReport:
    """Once-only findings for one matter: counts at once, the per-field plan on demand (a
    city-wide report tallies every matter but details only the ones it shows)."""

    def __init__(self, props: dict[str, Any], authority: Authority, certificates: set[str]) -> None:
        self._props = props
        self._authority = authority
        self.matter: str = props["code"]
        self.department: str = props["department"]
        fields = [f for f in props.get("form_fields", []) if f.get("data_element")]
        self.waivable: list[str] = [c for c in props.get("materials", []) if c in certificates]
        self.items = len(fields) + len(props.get("materials", []))
        self.redundant_count = sum(
            1
            for f in fields
            if f.get("collection") != CollectionMode.PREFILL.value
            and (found := authority.get(f["data_element"])) is not None
            and found[1] != self.department
        )

    @property
    def score(self) -> float:
        return score(self.items, self.redundant_count + len(self.waivable))

    @cached_property
    def plan(self) -> list[PrefillStep]:
        """How each bound form field gets its value."""
        steps = []
        for f in self._props.get("form_fields", []):
            element = f.get("data_element")
            if not element:
                continue
            found = self._authority.get(element)
            if f.get("collection") == CollectionMode.PREFILL.value:
                steps.append(
                    PrefillStep(f["name"], element, PrefillMode.PREFILLED, f.get("prefill_source"))
                )
            elif found is not None and found[1] == self.department:
                steps.append(PrefillStep(f["name"], element, PrefillMode.SOURCE_OF_TRUTH, found[0]))
            elif found is not None:
                steps.append(PrefillStep(f["name"], element, PrefillMode.SUGGESTED, found[0]))
            else:
                steps.append(PrefillStep(f["name"], element, PrefillMode.MUST_COLLECT, None))
        return steps

    @property
    def redundant(self) -> list[PrefillStep]:
        """Fields collected by hand although a shareable authoritative source could fill them."""
        return [s for s in self.plan if s.mode is PrefillMode.SUGGESTED]


@dataclass(frozen=True)
class AreaScore:
    """Aggregated score of a department or of the city."""

    items: int
    redundant: int
    waivable: int

    @property
    def score(self) -> float:
        return score(self.items, self.redundant + self.waivable)


@dataclass(frozen=True)
class OnceOnlyReport:
    matters: list[MatterReport]
    departments: dict[str, AreaScore]
    city: AreaScore


@dataclass(frozen=True)
class ElementUsage:
    """Everything about one data element: its source of truth, who collects it, who holds it."""

    element: str
    authoritative_source: str | None
    collected_by: list[tuple[str, str, CollectionMode]]  # (matter, form field, mode)
    carried_by: list[str]  # datasets with a field bound to it


def score(items: int, lost: int) -> float:
    """Share of items handled once-only; 1.0 for nothing to collect."""
    return 1.0 if items == 0 else round((items - lost) / items, 4)


def _all(store: GraphStore, kind: Kind, owner: str | None = None) -> list[dict[str, Any]]:
    query = NodeQuery(kind.value, owner=owner)
    return [dict(n.props) for page in iter_pages(store, query=query, size=PAGE) for n in page]


class OnceOnly:
    """The collect-once analysis over the graph port (reads a consistent set of pages)."""

    def __init__(self, *, store: GraphStore) -> None:
        self._store = store

    def report(self, *, department: str | None = None, matter: str | None = None) -> OnceOnlyReport:
        """Redundant collections, prefill plans, waivable materials and scores."""
        if matter is not None:
            key = ref(Kind.MATTER, matter)
            node = self._store.get_nodes(refs=[key]).get(key)
            matters = [dict(node.props)] if node else []
        else:
            matters = _all(self._store, Kind.MATTER, department)
        elements = _all(self._store, Kind.DATA_ELEMENT)
        sources = self._shareable_datasets({e.get("authoritative_dataset") for e in elements})
        authority: Authority = {
            e["code"]: (e["authoritative_dataset"], sources[e["authoritative_dataset"]])
            for e in elements
            if e.get("authoritative_dataset") in sources
        }
        certificates = self._shareable_certificates(
            {c for m in matters for c in m.get("materials", [])}
        )
        reports = [MatterReport(m, authority, certificates) for m in matters]
        departments: dict[str, AreaScore] = {}
        for r in reports:
            old = departments.get(r.department, AreaScore(0, 0, 0))
            departments[r.department] = AreaScore(
                old.items + r.items,
                old.redundant + r.redundant_count,
                old.waivable + len(r.waivable),
            )
        city = AreaScore(
            sum(a.items for a in departments.values()),
            sum(a.redundant for a in departments.values()),
            sum(a.waivable for a in departments.values()),
        )
        return OnceOnlyReport(reports, dict(sorted(departments.items())), city)

    def _shareable_datasets(self, codes: set[str | None]) -> dict[str, str | None]:
        """Shareable datasets among `codes`, with their owning department."""
        wanted = [ref(Kind.DATASET, c) for c in codes if c]
        nodes = self._store.get_nodes(refs=wanted)
        shared = SharingType.NOT_SHARED.value
        return {r.code: n.owner for r, n in nodes.items() if n.props.get("sharing_type") != shared}

    def _shareable_certificates(self, codes: set[str]) -> set[str]:
        nodes = self._store.get_nodes(refs=[ref(Kind.CERTIFICATE_TYPE, c) for c in codes])
        return {
            r.code
            for r, n in nodes.items()
            if n.props.get("sharing_type") != SharingType.NOT_SHARED.value
        }

    def element(self, *, code: str) -> ElementUsage | None:
        """Where one data element comes from and everywhere it is collected or held."""
        node = self._store.get_nodes(refs=[ref(Kind.DATA_ELEMENT, code)]).get(
            ref(Kind.DATA_ELEMENT, code)
        )
        if node is None:
            return None
        element = from_props(DataElement, dict(node.props))
        me = ref(Kind.DATA_ELEMENT, code)
        collected = self._store.edges(refs=[me], type=Rel.COLLECTS, direction=Direction.IN)[me]
        carried = self._store.edges(refs=[me], type=Rel.BINDS, direction=Direction.IN)[me]
        return ElementUsage(
            element=code,
            authoritative_source=element.authoritative_dataset,
            collected_by=[
                (e.source.code, e.key, CollectionMode(str(e.props.get("mode", "ORIGINAL"))))
                for e in collected
                if e.source.label == Kind.MATTER.value
            ],
            carried_by=sorted(
                {e.source.code for e in carried if e.source.label == Kind.DATASET.value}
            ),
        )
