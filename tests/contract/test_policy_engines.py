"""The `PolicyEngine` contract: the decision table through every engine, checked against an
independent oracle, plus fail-closed behaviour.

The in-process engine always runs. The OPA server runs when IRS_TEST_OPA_URL points at an OPA
serving access/policies (scripts/opa.sh start access/policies); outside CI it is skipped when
unset, in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.policy import (
    ApprovalAction,
    ApprovalDecision,
    ApprovalFacts,
    CallDecision,
    CallFacts,
    GrantFacts,
    PolicyEngine,
    PolicyUnavailable,
)
from access.policy_inprocess import InProcessPolicyEngine
from access.policy_opa import OpaPolicyEngine
from catalog.model import Grade, SharingType
from catalog.principal import Role
from tests import policy_cases as pc

IN_CI = os.environ.get("CI", "").lower() == "true"

# ---------------------------------------------------------------- the oracle (plain Python)

ORDER = (
    "INPUT_INVALID",
    "NOT_SHARED",
    "NO_GRANT",
    "GRANT_REVOKED",
    "GRANT_NOT_YET_VALID",
    "GRANT_EXPIRED",
    "PURPOSE_NOT_GRANTED",
    "MATTER_NOT_GRANTED",
    "FIELDS_NOT_GRANTED",
    "QUOTA_EXCEEDED",
    "GRADE_NOT_CLEARED",
    "CONSENT_REQUIRED",
    "CONSENT_INVALID",
)
RANK = {Grade.GENERAL: 1, Grade.IMPORTANT: 2, Grade.CORE: 3}
# Consent problems in reporting order, with a phrase the English message must contain.
CONSENT_WORDS = (
    ("expired", "expired"),
    ("used", "already used"),
    ("revoked", "revoked"),
    ("caller", "another caller"),
    ("certificate_type", "another certificate type"),
    ("purpose", "another purpose"),
)


@dataclass(frozen=True)
class Expected:
    """What the policy must answer: codes in order, each with text its messages must contain."""

    allow: bool
    grant_id: str | None
    reasons: tuple[tuple[str, tuple[str, ...]], ...]
    fields: tuple[str, ...] = ()
    mask: tuple[str, ...] = ()


def oracle_call(f: CallFacts) -> Expected:
    """The licensed-call rules of DESIGN.md / issue 5, written independently of the Rego."""
    res = f.resource
    grants = [g for g in f.grants if g.caller == f.caller.client_id and g.resource_code == res.code]

    def failures(g: GrantFacts) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        if g.revoked:
            out["GRANT_REVOKED"] = ()
        if not g.valid_from <= f.now:
            out["GRANT_NOT_YET_VALID"] = ()
        if not f.now < g.valid_until:
            out["GRANT_EXPIRED"] = ()
        if g.purpose != f.purpose:
            out["PURPOSE_NOT_GRANTED"] = ()
        if f.matter not in g.matters:
            out["MATTER_NOT_GRANTED"] = (f.matter,)
        missing = sorted(set(f.fields) - set(g.fields))
        if missing:
            out["FIELDS_NOT_GRANTED"] = (", ".join(missing),)
        if g.used_today >= g.quota_per_day:
            out["QUOTA_EXCEEDED"] = ()
        if RANK[res.grade] > RANK[g.max_grade]:
            out["GRADE_NOT_CLEARED"] = (f"{res.grade.value} > {g.max_grade.value}",)
        return out

    general: dict[str, tuple[str, ...]] = {}
    if res.sharing_type is SharingType.NOT_SHARED:
        general["NOT_SHARED"] = ()
    if not grants:
        general["NO_GRANT"] = ()
    if res.personal:
        c = f.consent
        if c is None:
            general["CONSENT_REQUIRED"] = ()
        else:
            problems = {
                "expired": not f.now < c.valid_until,
                "used": c.used,
                "revoked": c.revoked,
                "caller": c.caller != f.caller.client_id,
                "certificate_type": c.certificate_type != res.code,
                "purpose": c.purpose != f.purpose,
            }
            words = tuple(w for key, w in CONSENT_WORDS if problems[key])
            if words:
                general["CONSENT_INVALID"] = words

    scored = sorted((len(failures(g)), g.id, i) for i, g in enumerate(grants))
    best = grants[scored[0][2]] if scored else None
    reasons = dict(general)
    if best is not None:
        reasons.update(failures(best))
    if best is not None and not reasons:
        fields = tuple(sorted(set(f.fields) if f.fields else set(best.fields)))
        mask = tuple(
            x for x in fields if x in res.sensitive_fields and x not in best.unmasked_fields
        )
        return Expected(True, best.id, (), fields, mask)
    return Expected(False, None, tuple((c, reasons[c]) for c in ORDER if c in reasons))


def oracle_approval(f: ApprovalFacts) -> tuple[str, ...]:
    """Codes refusing an approval action (empty: allowed)."""
    owner_actions = {ApprovalAction.APPROVE, ApprovalAction.REFUSE, ApprovalAction.REVOKE}
    permitted = (
        f.role is Role.ADMIN
        or (f.role is Role.DEPARTMENT and f.action in owner_actions)
        or (f.role is Role.INTEGRATOR and f.action is ApprovalAction.SUBMIT)
    )
    codes = []
    if not permitted:
        codes.append("NOT_PERMITTED")
    if (
        f.role is Role.DEPARTMENT
        and f.action in owner_actions
        and not (f.department and f.department == f.owner)
    ):
        codes.append("NOT_OWNER")
    if f.action is ApprovalAction.APPROVE and f.sharing_type is SharingType.NOT_SHARED:
        codes.append("NOT_SHARED")
    return tuple(codes)


def mismatch(decision: CallDecision, want: Expected) -> str | None:
    """Why `decision` differs from the oracle, or None."""
    got = (
        decision.allow,
        decision.grant_id,
        tuple(r.code for r in decision.reasons),
        decision.obligations.fields,
        decision.obligations.mask,
    )
    expected = (
        want.allow,
        want.grant_id,
        tuple(c for c, _ in want.reasons),
        want.fields,
        want.mask,
    )
    if got != expected:
        return f"got {got}, want {expected}"
    for reason, (code, texts) in zip(decision.reasons, want.reasons, strict=True):
        if not any("\u4e00" <= ch <= "\u9fff" for ch in reason.message):
            return f"{code}: message is not Chinese: {reason.message!r}"
        if code == "CONSENT_INVALID":  # says which problems, all of them, and only them
            listed = reason.message_en.rsplit(": ", 1)[-1].split(", ")
            zh_listed = reason.message.rsplit("：", 1)[-1].split("、")
            if len(listed) != len(texts) or len(zh_listed) != len(texts):
                return f"{code}: lists {listed} / {zh_listed}, want {texts}"
            if not all(t in item for t, item in zip(texts, listed, strict=True)):
                return f"{code}: lists {listed}, want {texts}"
            continue
        for text in texts:
            if text not in reason.message_en or text not in reason.message:
                return f"{code}: {text!r} missing from {reason.message_en!r} / {reason.message!r}"
    return None


# ---------------------------------------------------------------- engines

ENGINES = ["inprocess", "opa"]


def opa_url() -> str:
    url = os.environ.get("IRS_TEST_OPA_URL", "")
    if not url:
        message = "OPA server not configured: set IRS_TEST_OPA_URL"
        if IN_CI:
            pytest.fail(f"{message} (CI must start it: scripts/opa.sh start access/policies)")
        pytest.skip(message)
    return url


def make_engine(name: str) -> PolicyEngine:
    if name == "inprocess":
        return InProcessPolicyEngine()
    return OpaPolicyEngine(url=opa_url(), timeout=2.0)


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[PolicyEngine]:
    """Every policy engine, one per module."""
    e = make_engine(request.param)
    yield e
    e.close()


CALL_CASES = pc.call_cases()
APPROVAL_CASES = pc.approval_cases()


def test_table_covers_every_condition_alone_and_in_pairs() -> None:
    names = [c.name for c in CALL_CASES]
    assert len(names) >= 200
    assert len(set(names)) == len(names)
    for cond in pc.CONDITIONS:
        assert f"only {cond}" in names
    assert sum(" + " in n for n in names) == len(pc.CONDITIONS) * (len(pc.CONDITIONS) - 1) // 2
    outcomes = {oracle_call(c.facts).allow for c in CALL_CASES}
    assert outcomes == {True, False}
    codes = {code for c in CALL_CASES for code, _ in oracle_call(c.facts).reasons}
    assert codes == set(ORDER) - {"INPUT_INVALID"}


def test_call_table(engine: PolicyEngine) -> None:
    wrong = []
    for case in CALL_CASES:
        why = mismatch(engine.decide_call(facts=case.facts), oracle_call(case.facts))
        if why:
            wrong.append(f"{case.name}: {why}")
    assert not wrong, f"{len(wrong)} of {len(CALL_CASES)} rows differ:\n" + "\n".join(wrong[:10])


def test_approval_table(engine: PolicyEngine) -> None:
    wrong = []
    for case in APPROVAL_CASES:
        d = engine.decide_approval(facts=case.facts)
        want = oracle_approval(case.facts)
        got = tuple(r.code for r in d.reasons)
        if got != want or d.allow != (not want):
            wrong.append(f"{case.name}: got {d.allow} {got}, want {want}")
    assert not wrong, "\n".join(wrong[:10])


def test_engines_agree_to_the_letter() -> None:
    """Messages included: the same Rego must read the same in both engines."""
    opa = make_engine("opa")
    local = make_engine("inprocess")
    try:
        for case in CALL_CASES:
            a, b = opa.decide_call(facts=case.facts), local.decide_call(facts=case.facts)
            assert a.to_json() == b.to_json(), case.name
        for ac in APPROVAL_CASES:
            x, y = opa.decide_approval(facts=ac.facts), local.decide_approval(facts=ac.facts)
            assert x.to_json() == y.to_json(), ac.name
    finally:
        opa.close()
        local.close()


def test_ping(engine: PolicyEngine) -> None:
    engine.ping()


# ---------------------------------------------------------------- property: random facts

_grant_breaks = st.frozensets(st.sampled_from(pc.GRANT_CONDITIONS))
_consent_breaks = st.frozensets(st.sampled_from(pc.CONSENT_CONDITIONS))


@st.composite
def call_facts(draw: st.DrawFn) -> CallFacts:
    res = pc.resource(
        grade=draw(st.sampled_from(pc.GRADES)),
        sharing=draw(st.sampled_from(list(SharingType))),
        personal=draw(st.booleans()),
        sensitive=tuple(draw(st.sets(st.sampled_from(pc.FIELDS)))),
    )
    grants = tuple(
        replace(
            pc.grant(res, f"g-{i}-{draw(st.integers(0, 9))}", draw(_grant_breaks)),
            used_today=draw(st.integers(0, 60)),
            valid_until=pc.NOW + timedelta(seconds=draw(st.integers(-5, 5))),
            unmasked_fields=tuple(draw(st.sets(st.sampled_from(pc.FIELDS)))),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    given = draw(st.none() | st.just(pc.consent(res, draw(_consent_breaks))))
    fields = tuple(draw(st.lists(st.sampled_from(pc.FIELDS), max_size=4)))
    return replace(pc.facts(frozenset(), res=res), grants=grants, consent=given, fields=fields)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=call_facts())
def test_random_facts_match_the_oracle(engine: PolicyEngine, facts: CallFacts) -> None:
    assert mismatch(engine.decide_call(facts=facts), oracle_call(facts)) is None


# ---------------------------------------------------------------- fail closed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class _FakeOpa(http.server.BaseHTTPRequestHandler):
    """Answers every POST with `server.reply` (status, body) after `server.delay` seconds."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        assert isinstance(server, _FakeServer)
        server.release.wait(server.delay)
        status, body = server.reply
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _FakeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    reply: tuple[int, bytes] = (200, b"{}")
    delay = 0.0
    release: threading.Event


@pytest.fixture
def fake_opa() -> Iterator[_FakeServer]:
    server = _FakeServer(("127.0.0.1", 0), _FakeOpa)
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def fake_engine(server: _FakeServer, timeout: float = 0.5) -> OpaPolicyEngine:
    return OpaPolicyEngine(url=f"http://127.0.0.1:{server.server_address[1]}", timeout=timeout)


SAMPLE = CALL_CASES[0].facts


def test_unreachable_opa_refuses() -> None:
    engine = OpaPolicyEngine(url=f"http://127.0.0.1:{free_port()}", timeout=0.5)
    try:
        with pytest.raises(PolicyUnavailable):
            engine.decide_call(facts=SAMPLE)
        with pytest.raises(PolicyUnavailable):
            engine.ping()
    finally:
        engine.close()


def test_slow_opa_times_out_and_refuses(fake_opa: _FakeServer) -> None:
    fake_opa.delay = 5.0
    engine = fake_engine(fake_opa, timeout=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(PolicyUnavailable, match=r"0\.2"):
            engine.decide_call(facts=SAMPLE)
        assert time.monotonic() - started < 1.5
    finally:
        engine.close()


@pytest.mark.parametrize(
    "reply",
    [
        (200, b"{}"),  # undefined decision: no "result"
        (200, b'{"result": {}}'),
        (200, b'{"result": {"allow": true}}'),
        (
            200,
            b'{"result": {"allow": true, "grant_id": null, "reasons": [],'
            b' "obligations": {"fields": [], "mask": []}}}',
        ),
        (200, b"not json"),
        (500, b'{"code": "internal_error"}'),
        (404, b"{}"),
    ],
    ids=["undefined", "empty", "partial", "allow-without-grant", "not-json", "500", "404"],
)
def test_bad_opa_answers_refuse(fake_opa: _FakeServer, reply: tuple[int, bytes]) -> None:
    fake_opa.reply = reply
    engine = fake_engine(fake_opa)
    try:
        with pytest.raises(PolicyUnavailable):
            engine.decide_call(facts=SAMPLE)
    finally:
        engine.close()


@pytest.mark.parametrize(
    "reply",
    [(200, b"{}"), (200, b'{"result": {"allow": false, "reasons": []}}'), (503, b"{}")],
    ids=["undefined", "refused-without-reason", "503"],
)
def test_bad_opa_approval_answers_refuse(fake_opa: _FakeServer, reply: tuple[int, bytes]) -> None:
    fake_opa.reply = reply
    engine = fake_engine(fake_opa)
    try:
        with pytest.raises(PolicyUnavailable):
            engine.decide_approval(facts=APPROVAL_CASES[0].facts)
    finally:
        engine.close()


def test_closed_engines_refuse() -> None:
    for engine in (InProcessPolicyEngine(), OpaPolicyEngine(url=f"http://127.0.0.1:{free_port()}")):
        engine.close()
        engine.close()  # idempotent
        with pytest.raises(PolicyUnavailable):
            engine.decide_call(facts=SAMPLE)


def test_inprocess_broken_policy_refuses(tmp_path: Path) -> None:
    (tmp_path / "call.rego").write_text("package irs.call\n\ndecision := {\n", encoding="utf-8")
    with pytest.raises(PolicyUnavailable, match="compile"):
        InProcessPolicyEngine(policy_dir=tmp_path)


def test_inprocess_undefined_decision_refuses(tmp_path: Path) -> None:
    (tmp_path / "call.rego").write_text(
        "package irs.call\n\ndecision := {} if input.never\n", encoding="utf-8"
    )
    with pytest.raises(PolicyUnavailable):
        InProcessPolicyEngine(policy_dir=tmp_path)


def test_inprocess_engine_serves_many_threads() -> None:
    engine = InProcessPolicyEngine()
    results: list[bool] = []

    def work() -> None:
        results.extend(engine.decide_call(facts=c.facts).allow for c in CALL_CASES[:20])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [oracle_call(c.facts).allow for c in CALL_CASES[:20]] * 4
    engine.close()


def test_approval_decision_type(engine: PolicyEngine) -> None:
    d = engine.decide_approval(facts=APPROVAL_CASES[0].facts)
    assert isinstance(d, ApprovalDecision)
