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

from dataclasses import dataclass, field
from enum import StrEnum

from catalog.mapping import from_props
from catalog.model import (
    CollectionMode,
    DataElement,
    Kind,
    Matter,
    SharingType,
)
from catalog.relations import Rel, ref
from graph.port import Direction, GraphStore, NodeQuery

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


@dataclass
class MatterReport:
    """Once-only findings for one matter."""

    matter: str
    department: str
    items: int = 0
    redundant: list[PrefillStep] = field(default_factory=list)
    plan: list[PrefillStep] = field(default_factory=list)
    waivable: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return score(self.items, len(self.redundant) + len(self.waivable))


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


def _all(store: GraphStore, kind: Kind, owner: str | None = None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    after: str | None = None
    while True:
        page = store.find_nodes(query=NodeQuery(kind.value, owner=owner), after=after, limit=PAGE)
        out += [dict(n.props) for n in page]
        if len(page) < PAGE:
            return out
        after = page[-1].ref.code


class OnceOnly:
    """The collect-once analysis over the graph port (reads a consistent set of pages)."""

    def __init__(self, *, store: GraphStore) -> None:
        self._store = store

    def report(self, *, department: str | None = None, matter: str | None = None) -> OnceOnlyReport:
        """Redundant collections, prefill plans, waivable materials and scores."""
        if matter is not None:
            node = self._store.get_nodes(refs=[ref(Kind.MATTER, matter)]).get(
                ref(Kind.MATTER, matter)
            )
            matters = [from_props(Matter, dict(node.props))] if node else []
        else:
            matters = [from_props(Matter, p) for p in _all(self._store, Kind.MATTER, department)]
        elements = {
            e.code: e
            for e in (from_props(DataElement, p) for p in _all(self._store, Kind.DATA_ELEMENT))
        }
        sources = self._shareable_datasets(
            {e.authoritative_dataset for e in elements.values()}
            | {f.prefill_source for m in matters for f in m.form_fields}
        )
        certificates = self._shareable_certificates({c for m in matters for c in m.materials})
        reports = [self._matter(m, elements, sources, certificates) for m in matters]
        departments: dict[str, AreaScore] = {}
        for r in reports:
            old = departments.get(r.department, AreaScore(0, 0, 0))
            departments[r.department] = AreaScore(
                old.items + r.items,
                old.redundant + len(r.redundant),
                old.waivable + len(r.waivable),
            )
        city = AreaScore(
            sum(a.items for a in departments.values()),
            sum(a.redundant for a in departments.values()),
            sum(a.waivable for a in departments.values()),
        )
        return OnceOnlyReport(reports, dict(sorted(departments.items())), city)

    @staticmethod
    def _matter(
        m: Matter,
        elements: dict[str, DataElement],
        sources: dict[str, str | None],
        certificates: set[str],
    ) -> MatterReport:
        report = MatterReport(matter=m.code, department=m.department)
        for f in m.form_fields:
            if not f.data_element:
                continue
            report.items += 1
            element = elements.get(f.data_element)
            source = element.authoritative_dataset if element else None
            available = source if source in sources else None
            if f.collection is CollectionMode.PREFILL:
                step = PrefillStep(f.name, f.data_element, PrefillMode.PREFILLED, f.prefill_source)
            elif available and sources[available] == m.department:
                step = PrefillStep(f.name, f.data_element, PrefillMode.SOURCE_OF_TRUTH, available)
            elif available:
                step = PrefillStep(f.name, f.data_element, PrefillMode.SUGGESTED, available)
                report.redundant.append(step)
            else:
                step = PrefillStep(f.name, f.data_element, PrefillMode.MUST_COLLECT, None)
            report.plan.append(step)
        for code in m.materials:
            report.items += 1
            if code in certificates:
                report.waivable.append(code)
        return report

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
