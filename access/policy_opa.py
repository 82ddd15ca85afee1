"""The policy evaluated by OPA server(s), reached with `opa-python-client` (production).

Design: the port is synchronous, like every other port here (`GraphStore`, records), while the
client worth using is the async one (`AsyncOpaClient`: one aiohttp session, kept-alive
connections, a total timeout per request, and `trust_env=False`, so proxy settings are not
re-read on every call as the sync client's `requests.Session` does). The adapter therefore owns
a private event loop on one daemon thread; any thread hands it a query with
`run_coroutine_threadsafe` and waits at most the timeout. Async code (the GraphQL resolvers) can
call it too, from a worker thread, as it calls the other ports.

Fail closed: unreachable, refused, timed out, HTTP error, undefined (empty) result, malformed
result — all are `PolicyUnavailable`; no retries, so a dead server costs one timeout, not three.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from opa_client import AsyncOpaClient

from access.policy import (
    APPROVAL_DECISION,
    CALL_DECISION,
    ApprovalDecision,
    ApprovalFacts,
    CallDecision,
    CallFacts,
    PolicyUnavailable,
)

T = TypeVar("T")

# How long past the HTTP timeout the caller waits for the loop thread before giving up.
_GRACE_SECONDS = 0.25


class OpaPolicyEngine:
    """`PolicyEngine` adapter for an OPA server serving `access/policies/`."""

    def __init__(self, *, url: str, timeout: float = 0.5, token: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OPA url must be http(s)://host[:port], got {url!r}")
        self._timeout = timeout
        self._closed = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="irs-opa-client", daemon=True
        )
        self._thread.start()
        self._client = AsyncOpaClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8181),
            ssl=parts.scheme == "https",
            token=token,
            retries=0,
            timeout=timeout,
        )
        # The aiohttp session must be created on the loop that will use it.
        self._run(self._client.__aenter__())

    def decide_call(self, *, facts: CallFacts) -> CallDecision:
        """POST the facts to `/v1/data/irs/call/decision`."""
        return CallDecision.from_result(self.evaluate_raw(CALL_DECISION, facts.to_input()))

    def decide_approval(self, *, facts: ApprovalFacts) -> ApprovalDecision:
        """POST the facts to `/v1/data/irs/approval/decision`."""
        return ApprovalDecision.from_result(self.evaluate_raw(APPROVAL_DECISION, facts.to_input()))

    def ping(self) -> None:
        """The server answers and has the IRS policy loaded (its default decision is defined)."""
        CallDecision.from_result(self.evaluate_raw(CALL_DECISION, {}))

    def close(self) -> None:
        """Close the session and stop the loop thread (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._run(self._client.close_connection())
        except PolicyUnavailable:
            pass  # closing a session that cannot close cleanly is not worth an error
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    def evaluate_raw(self, rule: str, input_doc: Mapping[str, object]) -> object:
        """The result of `rule` (`data.a.b.c`) for `input_doc`; `PolicyUnavailable` otherwise."""
        if self._closed:
            raise PolicyUnavailable("OPA policy engine is closed")
        package, _, name = rule.removeprefix("data.").rpartition(".")
        return self._run(self._query(package, name, dict(input_doc)))

    async def _query(self, package: str, rule: str, input_doc: dict[str, object]) -> object:
        body: Any = await self._client.query_rule(
            input_data=input_doc, package_path=package, rule_name=rule
        )
        if not isinstance(body, dict) or "result" not in body:
            raise PolicyUnavailable(f"data.{package}.{rule} is undefined on the OPA server")
        return body["result"]

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout=self._timeout + _GRACE_SECONDS)
        except PolicyUnavailable:
            raise
        except (concurrent.futures.TimeoutError, TimeoutError) as exc:
            future.cancel()
            raise PolicyUnavailable(f"OPA did not answer within {self._timeout}s") from exc
        except Exception as exc:  # refused, reset, HTTP 4xx/5xx, bad JSON: no decision
            raise PolicyUnavailable(f"OPA request failed: {type(exc).__name__}") from exc
