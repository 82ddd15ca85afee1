"""The fast path of `data.irs.call.decision` changes nothing: with and without it, every input
gives the same decision, or the same error, in regorus and in OPA.

"Without it" is call.rego with the first branch of `decision` (the fast path) cut off, i.e. the
full evaluation alone. Inputs: the whole decision table (tests/policy_cases.py) and malformed
facts the typed `CallFacts` cannot produce (mistyped or missing fields, times that do not parse,
grants of odd shapes), where the engines differ and the fast path must fail exactly as the full
path does (see "How this package is written" in call.rego).
"""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
from pathlib import Path
from typing import Any

import orjson

from access.policies import policy_sources
from tests import policy_cases as pc
from tests.unit.test_policy_rego import opa_binary

# The binding ships no type information (as in access/policy_inprocess.py).
regorus: Any = importlib.import_module("regorus")

FAST_BRANCH = "decision := d if {\n\td := fast_decision\n} else := {"


def sources(*, fast: bool) -> dict[str, str]:
    """The policy modules, with the fast path or with the full evaluation alone."""
    out = policy_sources()
    if not fast:
        assert out["call.rego"].count(FAST_BRANCH) == 1, "the fast branch of `decision` moved"
        out["call.rego"] = out["call.rego"].replace(FAST_BRANCH, "decision := {")
    return out


def engine(*, fast: bool) -> Any:
    e = regorus.Engine()
    for name, text in sources(fast=fast).items():
        e.add_policy(name, text)
    return e


def evaluate(e: Any, rule: str, doc: object) -> object:
    """The rule's value, None when undefined, or ("error", message) when the engine raises."""
    e.set_input_json(orjson.dumps(doc).decode())
    try:
        value: object = e.eval_rule(rule)
    except Exception as exc:  # regorus raises on builtin errors; that is a result here
        return ("error", str(exc).split("error:")[-1].strip().splitlines()[0])
    return value


def malformed() -> dict[str, object]:
    """Facts the server never sends, each a way the fast path could go wrong."""
    base = pc.facts(frozenset()).to_input()
    grant = base["grants"][0]
    other = dict(grant, id="g-b")

    def with_(**patch: object) -> dict[str, object]:
        doc = copy.deepcopy(base)
        doc.update(patch)
        return doc

    def with_grants(*grants: dict[str, object]) -> dict[str, object]:
        return with_(grants=list(grants))

    consent = base["consent"]
    assert isinstance(consent, dict)
    resource = base["resource"]
    assert isinstance(resource, dict)
    not_personal = dict(resource, personal=False)
    return {
        "empty": {},
        "now not a time": with_(now="not a time"),
        "now a number": with_(now=20250601),
        "no purpose": {k: v for k, v in base.items() if k != "purpose"},
        "purpose a number": with_(purpose=1),
        "matter a list": with_(matter=["350200-XK-0001"]),
        "fields an object": with_(fields={"a": "name"}),
        "fields a string": with_(fields="name"),
        "client id null": with_(caller={"client_id": None}),
        "client id a number, and so are the callers of grant and consent": with_(
            caller={"client_id": 7}, grants=[dict(grant, caller=7)], consent=dict(consent, caller=7)
        ),
        "grants a string": with_(grants="g"),
        "grants of strings": with_(grants=["g"]),
        "grant id a number": with_grants(dict(grant, id=1)),
        "grant revoked as a string": with_grants(dict(grant, revoked="false")),
        "grant quota as strings": with_grants(dict(grant, used_today="1", quota_per_day="9")),
        "grant used today null": with_grants(dict(grant, used_today=None)),
        "grant quota a string": with_grants(dict(grant, quota_per_day="50")),
        "grant grade unknown": with_grants(dict(grant, max_grade="SECRET")),
        "grant time not a time": with_grants(dict(grant, valid_from="garbage")),
        "mistyped grant then a time that is not one": with_grants(
            dict(grant, id=5), dict(other, valid_from="garbage")
        ),
        "a time that is not one then a mistyped grant": with_grants(
            dict(grant, valid_from="garbage"), dict(other, id=5)
        ),
        "other caller's grant with a time that is not one": with_grants(
            dict(grant, id="g-a", caller="app-x", valid_until="garbage"), other
        ),
        "matters a string, another grant passes": with_grants(
            dict(grant, id="g-a", matters="350200-XK-0001"), other
        ),
        "fields a string, another grant passes": with_grants(
            dict(grant, id="g-a", fields="name"), other
        ),
        "matters an object": with_grants(dict(grant, matters={"k": "350200-XK-0001"})),
        "matters of another caller a string": with_grants(
            dict(grant, id="g-a", caller="app-x", matters="m"), other
        ),
        "unmasked fields a string": with_grants(dict(grant, unmasked_fields="name")),
        "no unmasked fields": with_grants(
            {k: v for k, v in grant.items() if k != "unmasked_fields"}
        ),
        "same id twice, first fails": with_grants(
            dict(grant, revoked=True), dict(grant, unmasked_fields=[])
        ),
        "same id twice, both pass": with_grants(grant, dict(grant, unmasked_fields=[])),
        "consent time not a time": with_(consent=dict(consent, valid_until="garbage")),
        "consent time a number": with_(consent=dict(consent, valid_until=1)),
        "consent a string": with_(consent="yes"),
        "consent without used": with_(consent={k: v for k, v in consent.items() if k != "used"}),
        "not personal, consent time not a time": with_(
            resource=not_personal, consent=dict(consent, valid_until="garbage")
        ),
        "not personal, consent a string": with_(resource=not_personal, consent="yes"),
        "personal as a string, no consent": with_(
            resource=dict(resource, personal="false"), consent=None
        ),
        "sensitive fields a string": with_(resource=dict(resource, sensitive_fields="name")),
        "sharing type unknown": with_(resource=dict(resource, sharing_type="OPEN")),
        "no resource code": with_(resource={k: v for k, v in resource.items() if k != "code"}),
    }


def table() -> dict[str, object]:
    return {f"table: {c.name}": c.facts.to_input() for c in pc.call_cases()}


def test_regorus_same_results_with_and_without_the_fast_path() -> None:
    fast, full = engine(fast=True), engine(fast=False)
    docs = {**table(), **malformed()}
    wrong = []
    for name, doc in docs.items():
        got = evaluate(fast, "data.irs.call.decision", doc)
        want = evaluate(full, "data.irs.call.decision", doc)
        if got != want:
            wrong.append(f"{name}: {got} != {want}")
    assert not wrong, "\n".join(wrong)


def test_regorus_fast_path_answers_every_allowed_row_of_the_table() -> None:
    e = engine(fast=True)
    missed = []
    for name, doc in table().items():
        decision = evaluate(e, "data.irs.call.decision", doc)
        fast = evaluate(e, "data.irs.call.fast_decision", doc)
        assert isinstance(decision, dict), name
        if (fast is not None) != decision["allow"]:
            missed.append(name)
    assert not missed, missed


def test_opa_same_results_with_and_without_the_fast_path(tmp_path: Path) -> None:
    opa = opa_binary()
    for name, text in sources(fast=True).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    full = sources(fast=False)["call.rego"].replace("package irs.call\n", "package irs.full\n", 1)
    (tmp_path / "full.rego").write_text(full, encoding="utf-8")
    docs = {**table(), **malformed()}
    (tmp_path / "input.json").write_text(json.dumps({"docs": docs}), encoding="utf-8")
    # An error is "undefined" in OPA (non-strict): a set of results is empty then.
    query = (
        "{name: [fast, full] | some name, doc in input.docs; "
        "fast := {d | d := data.irs.call.decision with input as doc}; "
        "full := {d | d := data.irs.full.decision with input as doc}}"
    )
    run = subprocess.run(
        [opa, "eval", "--format", "json", "--input", str(tmp_path / "input.json")]
        + [arg for p in sorted(tmp_path.glob("*.rego")) for arg in ("--data", str(p))]
        + [query],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)["result"][0]["expressions"][0]["value"]
    assert set(results) == set(docs)
    wrong = [f"{name}: {fast} != {full}" for name, (fast, full) in results.items() if fast != full]
    assert not wrong, "\n".join(wrong)
    assert all(len(full) == 1 for full in (r[1] for r in results.values()))
