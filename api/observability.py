"""Structured JSON logs with a request id, and Prometheus metrics.

Logs never carry request bodies or GraphQL variables (they may hold personal data): only the
method, path, status, duration, request id and client id.
"""

from __future__ import annotations

import contextvars
import logging
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        return orjson.dumps(entry, default=str).decode()


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is logged, not to the stream it was
    when logging was configured: a test runner or a process manager may swap stderr later,
    and a server thread still logging to the swapped-out (closed) stream prints a
    "Logging error" traceback instead of the line."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """StreamHandler's own __init__ and setStream assign here; the stream stays sys.stderr."""


def configure_logging(level: str = "INFO") -> None:
    """Send every `irs.*` log line to stderr as JSON. The lines name no source line, thread
    or process, so records skip looking them up (the Logging HOWTO's "Optimization"
    settings): an access line is written for every request."""
    logging._srcfile = None  # no stack walk per record
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = CurrentStderrHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("irs")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


class Metrics:
    """The counters and histograms one process exposes at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "irs_http_requests_total",
            "HTTP requests",
            ["path", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "irs_http_request_seconds",
            "HTTP request latency",
            ["path"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.backend_errors = Counter(
            "irs_backend_errors_total",
            "Backend failures seen by requests",
            ["backend"],
            registry=self.registry,
        )

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


_access = logging.getLogger("irs.access")


REQUEST_ID = b"x-request-id"
ROUTE_KEY = "irs.route"  # the route template, set by dispatchers that bypass Starlette's router
UNMATCHED = "(unmatched)"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metric_labels(scope: Scope) -> tuple[str, str]:
    """The path and method a request is counted under: the route template it matched (its
    path with `{parameters}`), never the raw path, and a known method or OTHER. Raw values
    would give every scanned URL a time series of its own, growing /metrics without bound."""
    template = getattr(scope.get("route"), "path", None) or scope.get(ROUTE_KEY)
    method = scope.get("method", "")
    return (
        template if isinstance(template, str) else UNMATCHED,
        method if method in METHODS else "OTHER",
    )


def new_request_id() -> str:
    """128 random bits in hex. A request id only has to be unique, not secret: the process's
    pseudo-random generator (seeded from the OS at start) gives that without a system call
    per request."""
    return f"{random.getrandbits(128):032x}"


class RequestObserver:
    """ASGI middleware: request id in and out, access log line, request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID), "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else new_request_id()
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            route, method = metric_labels(scope)
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            principal = scope.get("state", {}).get("principal")
            _access.info(
                "request",
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": path,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client_id": getattr(principal, "client_id", None),
                    }
                },
            )
            request_id.reset(token)
