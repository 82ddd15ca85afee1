"""The composition root: builds every store and use case from one `Settings` object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from access.clients import ClientRegistry
from access.records import create_schema, records_engine
from api.settings import Settings
from catalog.ledger import Ledger
from graph.port import GraphStore
from graph.sqlite_store import SqliteGraphStore


class ConfigurationError(ValueError):
    """Settings that cannot work (unknown backend URL, default secrets in production)."""


@dataclass
class Services:
    """Everything a request or a CLI command needs, built once per process."""

    settings: Settings
    store: GraphStore
    records: Engine
    ledger: Ledger
    clients: ClientRegistry

    def close(self) -> None:
        self.store.close()
        self.records.dispose()


def open_graph_store(url: str) -> GraphStore:
    """The graph adapter for `url`: a file path selects the embedded store."""
    if url.startswith(("bolt://", "bolt+s://", "neo4j://", "neo4j+s://")):
        raise ConfigurationError(
            f"graph backend {url.split(':', 1)[0]} is not available in this build; "
            "use a local path for the embedded store"
        )
    if "://" in url:
        raise ConfigurationError(
            f"unknown graph URL scheme in {url!r}; use bolt://, neo4j:// or a path"
        )
    return SqliteGraphStore(Path(url))


def build_services(settings: Settings) -> Services:
    """Open the stores named by `settings` (nothing happens at import time)."""
    store = open_graph_store(settings.graph_url)
    engine = records_engine(settings.records_url)
    create_schema(engine)
    return Services(
        settings=settings,
        store=store,
        records=engine,
        ledger=Ledger(store=store),
        clients=ClientRegistry(engine=engine),
    )
