"""The ASGI application: `/graphql` behind bearer-token authentication, health endpoints."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from access.policy import PolicyUnavailable
from api.call_route import CALLS_PATH, calls_endpoint
from api.checkpointer import checkpoints_every
from api.dcat_routes import dcat_route
from api.graphql.context import Context
from api.graphql.loaders import Loaders
from api.graphql.schema import build_schema
from api.observability import ROUTE_KEY, Metrics, RequestObserver
from api.openlineage_route import openlineage_route
from api.pages import page_routes
from api.services import Services
from api.trust_routes import trust_routes
from graph.port import BackendUnavailable

UNAUTHENTICATED = {
    "errors": [
        {
            "message": "Missing or invalid bearer token",
            "extensions": {
                "code": "UNAUTHENTICATED",
                "message": "缺少或无效的访问令牌：请在 Authorization 头中提供 Bearer 令牌"
                "（用 irs clients create 生成）",
                "messageEn": "Missing or invalid bearer token: send "
                "'Authorization: Bearer <token>' (create one with `irs clients create`)",
            },
        }
    ]
}


RECORDS_UNAVAILABLE = {
    "errors": [
        {
            "message": "A backend service is unavailable; retry later",
            "extensions": {
                "code": "UNAVAILABLE",
                "message": "后端服务暂不可用（记录库），请稍后重试",
                "messageEn": "A backend service is unavailable (records database); retry later",
            },
        }
    ]
}


class IrsGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our typed context."""

    def __init__(self, services: Services, metrics: Metrics) -> None:
        settings = services.settings
        self.metrics = metrics
        schema = build_schema(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            introspection=settings.graphiql,
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
        )
        self.services = services

    def encode_json(self, data: object) -> str:
        """The response as JSON text through orjson (a 100-item page is ~100 kB, which the
        standard library took ~1 ms to encode); anything orjson refuses (an integer past
        64 bits) as strawberry encodes it. Text, not bytes: the WebSocket transports send
        what this returns, and text is what their clients expect."""
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # orjson.JSONEncodeError included
            return json.dumps(data, separators=(",", ":"))

    def backend_error(self, backend: str) -> None:
        """Count a backend failure seen while serving a request."""
        self.metrics.backend_errors.labels(backend).inc()

    async def get_context(self, request: Any, response: Any) -> Context:
        principal = request.scope["state"]["principal"]
        services = self.services
        return Context(
            principal=principal,
            ledger=services.ledger,
            loaders=Loaders(ledger=services.ledger, store=services.store),
            sharing=services.sharing,
            lineage=services.lineage,
            once_only=services.once_only,
            elicenses=services.elicenses,
            consents=services.consents,
            calls=services.calls,
            status=services.status,
            trust=services.trust,
            audit=services.audit,
            backend_error=self.backend_error,
        )


class Authenticated:
    """Resolves the bearer token before GraphQL runs; unauthenticated calls see nothing."""

    def __init__(self, app: IrsGraphQL, services: Services) -> None:
        self.app = app
        self.services = services
        self.backend_error = app.backend_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        wants_ide = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if wants_ide and self.services.settings.graphiql:
            # The IDE page is static HTML; its queries come back as POSTs with a token.
            page = await self.app.render_graphql_ide(request)
            await page(scope, receive, send)
            return
        try:
            principal = self.services.clients.authenticate_header(
                request.headers.get("authorization", "")
            )
        except SQLAlchemyError:  # records database down: refuse, never let anyone through
            self.backend_error("records")
            unavailable = JSONResponse(RECORDS_UNAVAILABLE, status_code=503)
            await unavailable(scope, receive, send)
            return
        if principal is None:
            response: Response = JSONResponse(
                UNAUTHENTICATED, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def create_app(services: Services) -> ASGIApp:
    """The ASGI app over already-built services (the composition root is `build_services`)."""
    metrics = Metrics()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            services.store.ping()
            checks["graph"] = "ok"
        except BackendUnavailable as exc:
            metrics.backend_errors.labels("graph").inc()
            checks["graph"] = f"unavailable: {exc}"
        try:
            with services.records.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            checks["records"] = "ok"
        except Exception as exc:  # any driver error means "not ready"
            metrics.backend_errors.labels("records").inc()
            checks["records"] = f"unavailable: {type(exc).__name__}"
        try:
            services.policy.ping()
            checks["policy"] = "ok"
        except PolicyUnavailable:
            metrics.backend_errors.labels("policy").inc()
            checks["policy"] = "unavailable"
        ready = all(v == "ok" for v in checks.values())
        return Response(
            json.dumps({"ready": ready, "checks": checks}),
            status_code=200 if ready else 503,
            media_type="application/json",
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with checkpoints_every(services.audit, services.settings.checkpoint_interval_s):
            yield
        services.close()

    async def metrics_endpoint(_: Request) -> Response:
        return metrics.render()

    graphql = Authenticated(IrsGraphQL(services, metrics), services)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *page_routes(),
            openlineage_route(services),
            dcat_route(lambda: services.ledger),
            *trust_routes(services),
        ],
        lifespan=lifespan,
    )
    return RequestObserver(ahead_of(app, {CALLS_PATH: calls_endpoint(services)}), metrics)


def ahead_of(app: ASGIApp, exact: Mapping[str, ASGIApp]) -> ASGIApp:
    """`app`, except that HTTP requests for the `exact` paths go straight to their own ASGI
    apps (the licensed call: see `api.call_route.calls_endpoint`)."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, root = scope["path"], scope.get("root_path", "")
            if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
                path = path[len(root) :]  # as Starlette's router reads it
            target = exact.get(path)
            if target is not None:
                scope[ROUTE_KEY] = path  # what the metrics count it under
                await target(scope, receive, send)
                return
        await app(scope, receive, send)

    return dispatch
