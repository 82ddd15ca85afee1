"""ASGI entry point for process managers: `uvicorn --factory api.asgi:app` (settings from IRS_*).

Each replica builds its own services; replicas share nothing but the Neo4j and PostgreSQL
servers they are pointed at, so any number can run behind a load balancer.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from api.app import create_app
from api.observability import configure_logging
from api.runtime import settle_heap_for_serving
from api.services import build_services
from api.settings import Settings


def app() -> ASGIApp:
    """Build one replica from the environment."""
    configure_logging()
    built = create_app(build_services(Settings()))
    settle_heap_for_serving()  # as `irs serve` does (see api.runtime)
    return built
