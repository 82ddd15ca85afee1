"""GET /api/v1/dcat: the open part of the catalog as DCAT-AP 3, for harvesters.

Public (no token), like any open-data catalog endpoint: it lists only 无条件开放 and 有条件开放
datasets. Content negotiation on Accept (text/turtle, application/ld+json, application/rdf+xml;
Turtle when anything goes); ``?format=turtle|jsonld|xml`` overrides it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from catalog.dcat import FORMATS, open_catalog, serialize, to_dcat
from catalog.ledger import Ledger
from graph.port import BackendUnavailable

DCAT_PATH = "/api/v1/dcat"
_BY_MEDIA = {media: fmt for fmt, media in FORMATS.items()} | {"application/json": "json-ld"}
_BY_NAME = {"turtle": "turtle", "ttl": "turtle", "jsonld": "json-ld", "json-ld": "json-ld",
            "xml": "xml", "rdfxml": "xml"}  # fmt: skip


def negotiate(accept: str, override: str | None) -> str | None:
    """The RDF format to answer with, or None when none of the acceptable ones is offered."""
    if override:
        return _BY_NAME.get(override.lower())
    if not accept.strip():
        return "turtle"
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        media = media.lower()
        if media in _BY_MEDIA:
            ranked.append((quality, -order, _BY_MEDIA[media]))
        elif media in ("*/*", "text/*", "application/*"):
            ranked.append((quality - 0.001, -order, "turtle"))
    return max(ranked)[2] if ranked else None


def dcat_route(ledger_provider: Callable[[], Ledger], *, base_url: str | None = None) -> Route:
    """The route for GET /api/v1/dcat over the ledger `ledger_provider` returns.

    IRIs are minted under `base_url` (default: the address the request came to).
    """

    async def dcat(request: Request) -> Response:
        fmt = negotiate(request.headers.get("accept", ""), request.query_params.get("format"))
        if fmt is None:
            return JSONResponse(
                {
                    "code": "NOT_ACCEPTABLE",
                    "message": "仅提供 text/turtle、application/ld+json 或 application/rdf+xml",
                    "messageEn": "available as text/turtle, application/ld+json or "
                    "application/rdf+xml",
                },
                status_code=406,
            )
        base = base_url or str(request.base_url)
        try:
            body = await run_in_threadpool(_render, ledger_provider(), fmt, base)
        except BackendUnavailable:
            return JSONResponse(
                {
                    "code": "UNAVAILABLE",
                    "message": "后端服务暂不可用（图数据库），请稍后重试",
                    "messageEn": "a backend service is unavailable (graph); retry later",
                },
                status_code=503,
            )
        return Response(
            body,
            media_type=f"{FORMATS[fmt]}; charset=utf-8",
            headers={"Vary": "Accept", "Cache-Control": "public, max-age=300"},
        )

    return Route(DCAT_PATH, dcat, methods=["GET"])


def _render(ledger: Ledger, fmt: str, base: str) -> str:
    datasets, departments = open_catalog(ledger)
    return serialize(to_dcat(datasets, departments, base_url=base), fmt)
