"""The README's example queries, run in order against the demo catalog, return what it says."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.demo import demo_tokens, load_demo
from api.services import Services, build_services
from api.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```(graphql|json)\n(.*?)```", re.S)


def examples() -> list[tuple[str, str, Any]]:
    """(role, query, expected) for every graphql block followed by a json block."""
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    out = []
    for (kind, body), (next_kind, next_body) in itertools.pairwise(blocks):
        if kind == "graphql" and next_kind == "json":
            first, _, query = body.partition("\n")
            role = first.removeprefix("# as:").strip()
            out.append((role, query, json.loads(next_body)))
    return out


def contains(actual: Any, expected: Any) -> bool:
    """Whether `actual` has everything `expected` has (dict keys, list prefixes, equal leaves)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) >= len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=False))
        )
    return bool(actual == expected)


@pytest.fixture
async def demo(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Services]]:
    services = build_services(settings)
    assert load_demo(services) > 500
    tokens = {t.role.value: t.token for t in demo_tokens(services)}
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://irs.test") as client:
        yield client, tokens, services
    services.close()


def test_the_readme_has_examples_for_every_role() -> None:
    found = examples()
    assert len(found) >= 10
    assert {role for role, _q, _e in found} == {
        "admin",
        "department",
        "integrator",
        "auditor",
        "holder_app",
    }


async def test_readme_examples_answer_as_documented(
    demo: tuple[httpx.AsyncClient, dict[str, str], Services],
) -> None:
    client, tokens, _services = demo
    captured: dict[str, str] = {}
    for role, raw_query, expected in examples():
        query = raw_query
        for name, value in captured.items():  # values the README says to paste from above
            query = query.replace(f"<{name}>", value)
        r = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {tokens[role]}"}
        )
        body = r.json()
        assert "errors" not in body, (query, body)
        assert contains(body, expected), (query, json.dumps(body, ensure_ascii=False)[:2000])
        code = (body.get("data") or {}).get("consentCode") or {}
        if "code" in code:
            captured["consentCode"] = code["code"]


async def test_demo_tokens_are_the_documented_ones(
    demo: tuple[httpx.AsyncClient, dict[str, str], Services],
) -> None:
    text = README.read_text(encoding="utf-8")
    _client, tokens, _services = demo
    for token in tokens.values():
        assert token in text
