"""DCAT-AP 3 export: SHACL-valid against the DCAT-AP 3.0.0 shapes, loadable by rdflib, open
datasets only, and served at /api/v1/dcat with content negotiation."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api.dcat_routes import dcat_route, negotiate
from catalog.dcat import is_published, serialize, to_dcat
from catalog.demo import demo_entities
from catalog.ledger import Ledger
from catalog.model import Dataset, Department, OpenType
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore

SHAPES = Path(__file__).resolve().parents[1] / "data" / "dcat-ap-3.0.0"
SHAPE_FILES = ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl", "shapes_recommended.ttl")
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally (rdflib 7.x).
RDFLIB_JSONLD_PARSER = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)


@cache
def shapes() -> Graph:
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SHAPES / name, format="turtle")
    return graph


def demo_graph() -> tuple[Graph, list[Dataset]]:
    entities = demo_entities()
    datasets = [e for e in entities if isinstance(e, Dataset)]
    departments = [e for e in entities if isinstance(e, Department)]
    return to_dcat(datasets, departments, base_url="https://irs.test/"), datasets


def test_the_demo_export_conforms_to_dcat_ap_3() -> None:
    graph, _ = demo_graph()
    conforms, results, text = pyshacl.validate(graph, shacl_graph=shapes(), allow_warnings=True)
    # Top-level results only: nested sh:detail results explain a warning, they are not violations.
    top = list(results.objects(None, SH.result))
    violations = [r for r in top if (r, SH.resultSeverity, SH.Violation) in results]
    assert conforms, text
    assert violations == []


def test_only_open_datasets_are_published() -> None:
    graph, datasets = demo_graph()
    published = {str(o) for o in graph.objects(None, DCTERMS.identifier)}
    open_codes = {d.code for d in datasets if is_published(d)}
    closed = {d.code for d in datasets if d.open_type is OpenType.NOT_OPEN}
    assert open_codes
    assert open_codes <= published
    assert not closed & published
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == len(open_codes)


def test_a_dataset_carries_title_publisher_frequency_and_access_rights() -> None:
    graph, datasets = demo_graph()
    ds = next(d for d in datasets if is_published(d) and d.publish_date)
    node = next(graph.subjects(DCTERMS.identifier, Literal(ds.code)))
    assert Literal(ds.name, lang="zh") in set(graph.objects(node, DCTERMS.title))
    publisher = graph.value(node, DCTERMS.publisher)
    assert graph.value(publisher, DCTERMS.identifier) == Literal(ds.department)
    assert str(graph.value(node, DCTERMS.accrualPeriodicity)).startswith(EU_FREQUENCY)
    rights = str(graph.value(node, DCTERMS.accessRights))
    assert rights.endswith("PUBLIC" if ds.open_type is OpenType.UNCONDITIONAL else "RESTRICTED")
    assert graph.value(node, DCTERMS.issued) == Literal(ds.publish_date)
    assert isinstance(graph.value(node, DCAT.distribution), URIRef)


@RDFLIB_JSONLD_PARSER
@pytest.mark.parametrize("fmt", ["turtle", "json-ld", "xml"])
def test_every_serialization_loads_back_with_rdflib(fmt: str) -> None:
    graph, _ = demo_graph()
    again = Graph().parse(data=serialize(graph, fmt), format=fmt)
    assert again.isomorphic(graph)


@pytest.mark.parametrize(
    ("accept", "override", "expected"),
    [
        ("", None, "turtle"),
        ("*/*", None, "turtle"),
        ("application/ld+json", None, "json-ld"),
        ("text/html, application/ld+json;q=0.9, text/turtle;q=0.5", None, "json-ld"),
        ("text/turtle;q=0.2, application/rdf+xml", None, "xml"),
        ("text/html", None, None),
        ("text/html", "jsonld", "json-ld"),
    ],
)
def test_content_negotiation(accept: str, override: str | None, expected: str | None) -> None:
    assert negotiate(accept, override) == expected


@RDFLIB_JSONLD_PARSER
def test_the_endpoint_serves_turtle_and_json_ld(tmp_path: Path) -> None:
    ledger = Ledger(store=SqliteGraphStore(tmp_path / "g.db"))
    ledger.load(principal=SYSTEM_PRINCIPAL, entities=demo_entities())
    app = Starlette(routes=[dcat_route(lambda: ledger)])
    with TestClient(app) as client:
        turtle = client.get("/api/v1/dcat", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200
        assert turtle.headers["content-type"].startswith("text/turtle")
        graph = Graph().parse(data=turtle.text, format="turtle")
        jsonld = client.get("/api/v1/dcat", headers={"Accept": "application/ld+json"})
        assert jsonld.headers["content-type"].startswith("application/ld+json")
        assert Graph().parse(data=jsonld.text, format="json-ld").isomorphic(graph)
        refused = client.get("/api/v1/dcat", headers={"Accept": "text/html"})
        assert refused.status_code == 406
        assert refused.json()["code"] == "NOT_ACCEPTABLE"
    expected, _ = demo_graph()
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == len(
        list(expected.subjects(RDF.type, DCAT.Dataset))
    )
