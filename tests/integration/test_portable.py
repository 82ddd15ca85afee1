"""Export → import → export is identical, on the embedded store and from it into Neo4j."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from catalog.demo import demo_entities
from catalog.ledger import Ledger
from catalog.principal import SYSTEM_PRINCIPAL
from catalog.relations import ALL_LABELS, ALL_RELATIONS
from graph.port import GraphStore
from graph.portable import PortableFormatError, export_graph, import_graph
from graph.sqlite_store import SqliteGraphStore


def _export(store: GraphStore) -> bytes:
    out = io.BytesIO()
    export_graph(store, out, labels=ALL_LABELS, types=ALL_RELATIONS)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    store = SqliteGraphStore(tmp_path_factory.mktemp("demo") / "g.db")
    Ledger(store=store).load(principal=SYSTEM_PRINCIPAL, entities=demo_entities())
    data = _export(store)
    store.close()
    return data


def test_round_trip_into_every_backend_is_identical(
    demo_export: bytes, graph_store: GraphStore
) -> None:
    nodes, edges = import_graph(graph_store, io.BytesIO(demo_export))
    assert nodes == 534 and edges > 1000
    assert _export(graph_store) == demo_export
    # idempotent: importing again changes nothing
    import_graph(graph_store, io.BytesIO(demo_export))
    assert _export(graph_store) == demo_export
    # and the imported catalog answers like the original
    hits = Ledger(store=graph_store).search(text="营业执照", kinds=[], first=1)
    assert hits[0].entity.name == "营业执照"


def test_bad_file_is_refused_with_its_line(tmp_path: Path) -> None:
    store = SqliteGraphStore(tmp_path / "g.db")
    with pytest.raises(PortableFormatError, match="line 1"):
        import_graph(store, io.BytesIO(b'{"format": "other"}\n'))
    bad = b'{"format": "irs-graph", "version": 1}\n{"kind": "node", "label": "System"}\n'
    with pytest.raises(PortableFormatError, match="line 2"):
        import_graph(store, io.BytesIO(bad))


def test_cli_export_and_import(tmp_path: Path, demo_export: bytes) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(demo_export)
    runner = CliRunner()
    env = {"IRS_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(cli, ["graph", "import", str(source)], env=env)
    assert result.exit_code == 0, result.output
    assert "imported 534 nodes" in result.output
    result = runner.invoke(cli, ["graph", "export", str(tmp_path / "out.jsonl")], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.jsonl").read_bytes() == demo_export
