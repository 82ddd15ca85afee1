"""The policy port's own rules: facts become the documented input, answers are parsed strictly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from access.policies import POLICY_DIR, policy_files
from access.policy import (
    ApprovalDecision,
    CallDecision,
    Obligations,
    PolicyUnavailable,
    Reason,
    rfc3339,
)
from tests import policy_cases as pc

SCHEMA = json.loads((POLICY_DIR / "call_input.schema.json").read_text(encoding="utf-8"))

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def violations(value: object, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The subset of JSON Schema the input schema uses, enough to catch drift."""
    if "$ref" in schema:
        return violations(value, SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[-1]], path)
    if "oneOf" in schema:
        if sum(not violations(value, s, path) for s in schema["oneOf"]) != 1:
            return [f"{path}: matches not exactly one of oneOf"]
        return []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        ok = any(
            (isinstance(value, int) and not isinstance(value, bool))
            if t == "integer"
            else isinstance(value, _TYPES[t]) and not (t != "boolean" and isinstance(value, bool))
            for t in names
        )
        if not ok:
            return [f"{path}: {value!r} is not {types}"]
    out = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            out += [f"{path}: unexpected {k}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                out += violations(v, props[k], f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            out += violations(v, schema["items"], f"{path}[{i}]")
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) != len(value):
            out.append(f"{path}: items not unique")
    if isinstance(value, str) and schema.get("format") == "date-time":
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return out


def test_every_table_input_matches_the_documented_schema() -> None:
    for case in pc.call_cases():
        assert violations(case.facts.to_input(), SCHEMA) == [], case.name


def test_schema_catches_drift() -> None:
    doc = pc.call_cases()[0].facts.to_input()
    broken = {**doc, "extra": 1, "grants": [{**doc["grants"][0], "revoked": "no"}]}  # type: ignore[dict-item]
    assert len(violations(broken, SCHEMA)) == 2


def test_times_are_utc_rfc3339() -> None:
    cst = timezone(timedelta(hours=8))
    assert rfc3339(datetime(2025, 6, 1, 16, 0, tzinfo=cst)) == "2025-06-01T08:00:00Z"
    assert rfc3339(datetime(2025, 6, 1, 8, 0, 0, 1500, tzinfo=UTC)) == "2025-06-01T08:00:00.001500Z"
    with pytest.raises(ValueError, match="timezone"):
        rfc3339(datetime(2025, 6, 1, 8, 0))


def test_requested_fields_are_deduplicated_in_order() -> None:
    facts = pc.facts(frozenset(), fields=("name", "id_number", "name"))
    assert facts.to_input()["fields"] == ["name", "id_number"]


def test_approval_input_shape() -> None:
    doc = pc.approval_cases()[0].facts.to_input()
    assert set(doc) == {"principal", "action", "item"}
    assert set(doc["item"]) == {"owner", "sharing_type", "requester_department"}  # type: ignore[arg-type]


ALLOWED = {
    "allow": True,
    "grant_id": "g-1",
    "reasons": [],
    "obligations": {"fields": ["a", "b"], "mask": ["b"]},
}
REFUSED = {
    "allow": False,
    "grant_id": None,
    "reasons": [{"code": "NO_GRANT", "message": "无授权", "message_en": "no grant"}],
    "obligations": {"fields": [], "mask": []},
}


def test_decisions_parse_and_round_trip() -> None:
    d = CallDecision.from_result(ALLOWED)
    assert d == CallDecision(True, "g-1", (), Obligations(("a", "b"), ("b",)))
    assert d.to_json() == ALLOWED
    r = CallDecision.from_result(REFUSED)
    assert r.reasons == (Reason("NO_GRANT", "无授权", "no grant"),)
    assert r.to_json() == REFUSED


@pytest.mark.parametrize(
    "result",
    [
        None,
        {},
        [],
        "allow",
        {**ALLOWED, "allow": "true"},
        {**ALLOWED, "grant_id": None},
        {**ALLOWED, "reasons": REFUSED["reasons"]},
        {**ALLOWED, "obligations": {"fields": ["a"], "mask": ["b"]}},
        {**ALLOWED, "obligations": {"fields": "a", "mask": []}},
        {**ALLOWED, "obligations": {"fields": [1], "mask": []}},
        {**REFUSED, "reasons": []},
        {**REFUSED, "reasons": [{"code": "X"}]},
        {**REFUSED, "reasons": "NO_GRANT"},
        {**REFUSED, "obligations": {"fields": ["a"], "mask": []}},
        {**REFUSED, "grant_id": "g-1"},
    ],
)
def test_malformed_decisions_are_unavailable(result: object) -> None:
    with pytest.raises(PolicyUnavailable) as info:
        CallDecision.from_result(result)
    assert info.value.code == "POLICY_UNAVAILABLE"
    assert "策略" in info.value.message and "policy" in info.value.message_en


def test_approval_decisions() -> None:
    assert ApprovalDecision.from_result({"allow": True, "reasons": []}).allow
    with pytest.raises(PolicyUnavailable):
        ApprovalDecision.from_result({"allow": True, "reasons": REFUSED["reasons"]})
    with pytest.raises(PolicyUnavailable):
        ApprovalDecision.from_result({"allow": False, "reasons": []})


def test_policy_files_exclude_tests() -> None:
    names = [p.name for p in policy_files()]
    assert names == ["approval.rego", "call.rego", "messages.rego"]
