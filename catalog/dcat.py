"""DCAT-AP 3 export of the open part of the catalog, for other catalogs to harvest.

Only datasets whose 开放属性 is 无条件开放 or 有条件开放 are published — never 不予开放 (and so
never 不予共享, which implies it). Each dataset carries its title and summary in Chinese, its
resource code as ``dct:identifier``, its provider as a ``foaf:Agent`` identified by its
统一社会信用代码, its update cycle on the EU frequency vocabulary, its open type as the EU
access right (无条件开放 → PUBLIC, 有条件开放 → RESTRICTED, with the opening condition as a
rights statement), its publish date, tags as keywords, and one distribution: access through
this platform's API under a grant. EU vocabulary concepts are described inline (type, scheme,
label) so that the SHACL range and vocabulary shapes of DCAT-AP 3.0.0 hold on the export alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalog.ledger import Ledger, ListFilter
from catalog.model import Dataset, Department, Kind, OpenType, UpdateCycle

EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = Namespace(EU + "frequency/")
ACCESS_RIGHT = Namespace(EU + "access-right/")
DATA_THEME = Namespace(EU + "data-theme/")
LANGUAGE = Namespace(EU + "language/")
FILE_TYPE = Namespace(EU + "file-type/")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

PUBLISHED_OPEN_TYPES = (OpenType.UNCONDITIONAL, OpenType.CONDITIONAL)
JSONLD_CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}
FORMATS = {"turtle": "text/turtle", "json-ld": "application/ld+json", "xml": "application/rdf+xml"}

FREQUENCIES: dict[UpdateCycle, tuple[str, str]] = {
    UpdateCycle.REALTIME: ("UPDATE_CONT", "continuously updated"),
    UpdateCycle.DAILY: ("DAILY", "daily"),
    UpdateCycle.WEEKLY: ("WEEKLY", "weekly"),
    UpdateCycle.MONTHLY: ("MONTHLY", "monthly"),
    UpdateCycle.QUARTERLY: ("QUARTERLY", "quarterly"),
    UpdateCycle.YEARLY: ("ANNUAL", "annual"),
    UpdateCycle.IRREGULAR: ("IRREG", "irregular"),
}
ACCESS_RIGHTS: dict[OpenType, tuple[str, str]] = {
    OpenType.UNCONDITIONAL: ("PUBLIC", "public"),
    OpenType.CONDITIONAL: ("RESTRICTED", "restricted"),
}
_ACCESS_NOTE = {
    OpenType.UNCONDITIONAL: "无条件开放：注册后即可通过平台接口获取。",
    OpenType.CONDITIONAL: "有条件开放：按开放条件提出申请，经提供部门审核同意后通过平台接口获取。",
}
CATALOG_TITLE = "厦门市一体化数字资源目录（开放部分）"
CATALOG_TITLE_EN = "Xiamen integrated digital-resource catalog (open part)"
CATALOG_SUMMARY = "厦门市政务数据资源中可向社会开放的信息资源，按 DCAT-AP 3 发布。"
CATALOG_SUMMARY_EN = (
    "The datasets of Xiamen's government data ledger that may be opened to the public."
)


def is_published(dataset: Dataset) -> bool:
    """Whether `dataset` belongs in the open catalog (无条件开放 or 有条件开放)."""
    return dataset.open_type in PUBLISHED_OPEN_TYPES


def to_dcat(
    datasets: Iterable[Dataset],
    departments: Iterable[Department],
    *,
    base_url: str = "http://localhost:8000/",
    publisher: Department | None = None,
) -> Graph:
    """The DCAT-AP 3 graph of the open datasets among `datasets` (the others are left out).

    `departments` name the publishers; `publisher` is the catalog's own (by default the
    platform itself). IRIs are minted under `base_url`.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    g = Graph(bind_namespaces="core")
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS)):
        g.bind(prefix, ns)
    g.bind("dcatap", DCATAP)
    g.bind("vcard", VCARD)
    # One prefix per IRI family keeps Turtle short and its serializer fast (it looks up a
    # namespace per IRI; an IRI ending in "#x" would make a namespace of its own).
    for prefix, path in (
        ("ds", "datasets/"),
        ("dist", "distributions/"),
        ("dept", "departments/"),
        ("contact", "contacts/"),
    ):
        g.bind(prefix, base + path)
    for prefix, vocabulary in (
        ("freq", FREQUENCY),
        ("access", ACCESS_RIGHT),
        ("theme", DATA_THEME),
        ("lang", LANGUAGE),
        ("filetype", FILE_TYPE),
    ):
        g.bind(prefix, vocabulary)
    names = {d.code: d for d in departments}
    catalog = URIRef(base + "catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(CATALOG_TITLE, lang="zh")))
    g.add((catalog, DCTERMS.title, Literal(CATALOG_TITLE_EN, lang="en")))
    g.add((catalog, DCTERMS.description, Literal(CATALOG_SUMMARY, lang="zh")))
    g.add((catalog, DCTERMS.description, Literal(CATALOG_SUMMARY_EN, lang="en")))
    g.add((catalog, DCTERMS.language, _concept(g, LANGUAGE.ZHO, DCTERMS.LinguisticSystem,
                                              EU + "language", "Chinese")))  # fmt: skip
    theme_scheme = URIRef(EU + "data-theme")
    g.add((theme_scheme, RDF.type, SKOS.ConceptScheme))
    g.add((theme_scheme, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((catalog, DCAT.themeTaxonomy, theme_scheme))
    if publisher is not None:
        g.add((catalog, DCTERMS.publisher, _agent(g, base, publisher)))
    else:
        platform = URIRef(base + "catalog#publisher")
        g.add((platform, RDF.type, FOAF.Agent))
        g.add((platform, FOAF.name, Literal("一体化数字资源管理平台", lang="zh")))
        g.add((catalog, DCTERMS.publisher, platform))
    agents: dict[str, tuple[URIRef, URIRef]] = {}
    access_url = URIRef(base + "graphql")
    for ds in datasets:
        if not is_published(ds):
            continue
        if ds.department not in agents:
            dept = names.get(ds.department) or Department(code=ds.department, name=ds.department)
            agents[ds.department] = (_agent(g, base, dept), _contact(g, base, dept))
        agent, contact = agents[ds.department]
        g.add((catalog, DCAT.dataset, _dataset(g, base, ds, agent, access_url)))
        g.add((URIRef(base + "datasets/" + quote(ds.code, safe="")), DCAT.contactPoint, contact))
    return g


def _dataset(g: Graph, base: str, ds: Dataset, agent: URIRef, access_url: URIRef) -> URIRef:
    node = URIRef(base + "datasets/" + quote(ds.code, safe=""))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.title, Literal(ds.name, lang="zh")))
    g.add((node, DCTERMS.description, Literal(ds.summary, lang="zh")))
    g.add((node, DCTERMS.identifier, Literal(ds.code)))
    g.add((node, DCTERMS.publisher, agent))
    code, label = FREQUENCIES[ds.update_cycle]
    g.add((node, DCTERMS.accrualPeriodicity, _concept(g, FREQUENCY[code], DCTERMS.Frequency,
                                                      EU + "frequency", label)))  # fmt: skip
    right, right_label = ACCESS_RIGHTS[ds.open_type]
    g.add((node, DCTERMS.accessRights, _concept(g, ACCESS_RIGHT[right], DCTERMS.RightsStatement,
                                                EU + "access-right", right_label)))  # fmt: skip
    g.add((node, DCAT.theme, _concept(g, DATA_THEME.GOVE, SKOS.Concept, EU + "data-theme",
                                      "Government and public sector")))  # fmt: skip
    g.add((node, DCTERMS.language, LANGUAGE.ZHO))
    if ds.publish_date is not None:
        g.add((node, DCTERMS.issued, Literal(ds.publish_date.isoformat(), datatype=XSD.date)))
    for tag in ds.tags:
        g.add((node, DCAT.keyword, Literal(tag, lang="zh")))
    g.add((node, DCAT.keyword, Literal(ds.category, lang="zh")))
    dist = URIRef(base + "distributions/" + quote(ds.code, safe=""))
    g.add((node, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.accessURL, access_url))
    g.add((dist, DCTERMS.title, Literal("经授权通过一体化数字资源管理平台接口调用", lang="zh")))
    g.add((dist, DCTERMS.description, Literal(_ACCESS_NOTE[ds.open_type], lang="zh")))
    g.add((dist, DCTERMS.format, _concept(g, FILE_TYPE.JSON, DCTERMS.MediaTypeOrExtent,
                                          EU + "file-type", "JSON")))  # fmt: skip
    if ds.open_condition.strip():
        rights = BNode()
        g.add((rights, RDF.type, DCTERMS.RightsStatement))
        g.add((rights, RDFS.label, Literal(ds.open_condition, lang="zh")))
        g.add((dist, DCTERMS.rights, rights))
    return node


def _agent(g: Graph, base: str, dept: Department) -> URIRef:
    node = URIRef(base + "departments/" + quote(dept.code, safe=""))
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(dept.name, lang="zh")))
    g.add((node, DCTERMS.identifier, Literal(dept.code)))
    if dept.short_name:
        g.add((node, SKOS.altLabel, Literal(dept.short_name, lang="zh")))
    scheme = URIRef(str(PUBLISHER_TYPE) + "1.0")
    if (scheme, RDF.type, SKOS.ConceptScheme) not in g:
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, DCTERMS.title, Literal("Publisher type", lang="en")))
    kind = _concept(g, PUBLISHER_TYPE.LocalAuthority, SKOS.Concept, str(scheme), "Local Authority")
    g.add((node, DCTERMS.type, kind))
    return node


def _contact(g: Graph, base: str, dept: Department) -> URIRef:
    """The providing department as the dataset's contact point (vCard organisation)."""
    node = URIRef(base + "contacts/" + quote(dept.code, safe=""))
    g.add((node, RDF.type, VCARD.Organization))
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, VCARD.fn, Literal(dept.name, lang="zh")))
    return node


def _concept(g: Graph, iri: URIRef, cls: URIRef, scheme: str, label: str) -> URIRef:
    """A controlled-vocabulary concept, described once: its class, scheme and English label."""
    if (iri, RDF.type, cls) not in g:
        g.add((iri, RDF.type, cls))
        g.add((iri, RDF.type, SKOS.Concept))
        g.add((iri, SKOS.inScheme, URIRef(scheme)))
        g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    return iri


def serialize(graph: Graph, fmt: str) -> str:
    """The graph as Turtle (``turtle``), JSON-LD (``json-ld``) or RDF/XML (``xml``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "json-ld":
        return graph.serialize(format=fmt, context=JSONLD_CONTEXT, auto_compact=True)
    return graph.serialize(format=fmt)


def open_catalog(ledger: Ledger) -> tuple[list[Dataset], list[Department]]:
    """The published datasets of the ledger and every department, read page by page."""
    datasets: list[Dataset] = []
    for open_type in PUBLISHED_OPEN_TYPES:
        flt = ListFilter(equals={"open_type": open_type.value})
        datasets += [d for d in _all(ledger, Kind.DATASET, flt) if isinstance(d, Dataset)]
    datasets.sort(key=lambda d: d.code)
    departments = [
        d for d in _all(ledger, Kind.DEPARTMENT, ListFilter()) if isinstance(d, Department)
    ]
    return datasets, departments


def _all(ledger: Ledger, kind: Kind, flt: ListFilter) -> Sequence[object]:
    return ledger.all(kind=kind, filter=flt)
