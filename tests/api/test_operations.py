"""Operations endpoints: health, readiness, metrics, request ids, JSON access logs."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from api.observability import JsonFormatter, configure_logging
from tests.api.conftest import Api


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": {"graph": "ok", "records": "ok", "policy": "ok"},
    }


async def test_request_id_is_echoed_or_made(api: Api) -> None:
    r = await api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await api.client.get("/healthz")
    assert len(r.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_path_and_status(api: Api) -> None:
    await api.gql("{ me { role } }")
    await api.client.post("/graphql", json={"query": "{ me { role } }"})  # 401
    text = (await api.client.get("/metrics")).text
    assert 'irs_http_requests_total{method="POST",path="/graphql",status="200"} 1.0' in text
    assert 'irs_http_requests_total{method="POST",path="/graphql",status="401"} 1.0' in text
    assert "irs_http_request_seconds_bucket" in text


async def test_metrics_count_route_templates_not_raw_paths(api: Api) -> None:
    for n in range(3):  # a scanner's made-up URLs, and status lists by number
        assert (await api.client.get(f"/wp-admin-{n}.php")).status_code == 404
        await api.client.get(f"/status/grants/{n}")
    await api.client.post("/api/v1/elicenses/calls", json={})  # 401: no token
    await api.client.request("BREW", "/graphql")
    text = (await api.client.get("/metrics")).text
    assert "wp-admin" not in text
    assert 'irs_http_requests_total{method="GET",path="(unmatched)",status="404"} 3.0' in text
    assert 'path="/status/{kind}/{number:int}"' in text and 'path="/status/grants/0"' not in text
    assert 'method="POST",path="/api/v1/elicenses/calls",status="401"' in text
    assert 'method="OTHER",path="/graphql"' in text


async def test_access_log_is_json_without_request_bodies(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("irs.access")
    logger.propagate = True
    caplog.set_level(logging.INFO, logger="irs.access")
    await api.gql('{ search(text: "11010519491231002X") { totalCount } }')
    [record] = [r for r in caplog.records if r.name == "irs.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/graphql" and line["status"] == 200 and line["client_id"]
    assert "11010519491231002X" not in json.dumps(line)


def test_log_lines_go_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server thread that outlives the stderr logging was configured with (a test runner's
    capture, a daemonizer) logs to the current one instead of failing on a closed stream."""
    first, second = io.StringIO(), io.StringIO()
    irs_logger = logging.getLogger("irs")
    monkeypatch.setattr(irs_logger, "handlers", list(irs_logger.handlers))
    monkeypatch.setattr(irs_logger, "propagate", irs_logger.propagate)
    monkeypatch.setattr(irs_logger, "level", irs_logger.level)
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging()
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("irs.access").info("request", extra={"fields": {"path": "/healthz"}})
    line = json.loads(second.getvalue())
    assert line["message"] == "request" and line["path"] == "/healthz"
