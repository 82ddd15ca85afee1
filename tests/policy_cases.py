"""The decision table: policy facts generated from the policy's conditions.

Each condition of `access/policies/call.rego` can be broken on purpose; the table has every
condition broken alone, every pair broken together, boundaries (a grant starting or ending at
`now`, the last call of the quota, equal grades), several grants competing, grants of other
callers or resources, and seeded random mixes. Expected decisions are not here: an independent
oracle in tests/contract/test_policy_engines.py computes them.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from access.policy import (
    ApprovalAction,
    ApprovalFacts,
    Caller,
    CallFacts,
    CallResource,
    ConsentFacts,
    GrantFacts,
    ResourceKind,
)
from catalog.model import Grade, SharingType
from catalog.principal import Role

SEED = 20250601
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
CALLER = "app-0001"
OWNER = "91350200MA0000001X"
PURPOSE = "开办企业"
MATTER = "350200-XK-0001"
FIELDS = ("address", "birth_date", "id_number", "name", "phone")
SENSITIVE = ("id_number", "name", "phone")

GRANT_CONDITIONS = (
    "revoked",
    "not_yet_valid",
    "expired",
    "purpose",
    "matter",
    "fields",
    "quota",
    "grade",
)
RESOURCE_CONDITIONS = ("not_shared", "no_grant", "consent_missing")
CONSENT_CONDITIONS = (
    "consent_expired",
    "consent_used",
    "consent_revoked",
    "consent_caller",
    "consent_type",
    "consent_purpose",
)
CONDITIONS = GRANT_CONDITIONS + RESOURCE_CONDITIONS + CONSENT_CONDITIONS

GRADES = (Grade.GENERAL, Grade.IMPORTANT, Grade.CORE)


@dataclass(frozen=True)
class CallCase:
    """One row of the call table: a name saying what was broken, and the facts."""

    name: str
    facts: CallFacts


@dataclass(frozen=True)
class ApprovalCase:
    """One row of the approval table."""

    name: str
    facts: ApprovalFacts


def resource(
    *,
    kind: ResourceKind = ResourceKind.CERTIFICATE_TYPE,
    code: str = "CT-0001",
    grade: Grade = Grade.IMPORTANT,
    sharing: SharingType = SharingType.CONDITIONAL,
    personal: bool = True,
    sensitive: tuple[str, ...] = SENSITIVE,
) -> CallResource:
    return CallResource(
        kind=kind,
        code=code,
        owner=OWNER,
        sharing_type=sharing,
        grade=grade,
        personal=personal,
        sensitive_fields=sensitive,
    )


def grant(
    res: CallResource, gid: str = "g-0001", broken: frozenset[str] = frozenset()
) -> GrantFacts:
    """A grant for `res` that passes every condition except those in `broken`."""
    g = GrantFacts(
        id=gid,
        caller=CALLER,
        resource_code=res.code,
        fields=FIELDS,
        purpose=PURPOSE,
        matters=("350200-XK-0009", MATTER),
        valid_from=NOW - timedelta(days=30),
        valid_until=NOW + timedelta(days=335),
        revoked=False,
        quota_per_day=50,
        used_today=7,
        max_grade=res.grade,
        unmasked_fields=("name",),
    )
    if "revoked" in broken:
        g = replace(g, revoked=True)
    if "not_yet_valid" in broken:
        g = replace(g, valid_from=NOW + timedelta(hours=1))
    if "expired" in broken:
        g = replace(g, valid_until=NOW - timedelta(days=1))
    if "purpose" in broken:
        g = replace(g, purpose="其他事由")
    if "matter" in broken:
        g = replace(g, matters=("350200-XK-0009",))
    if "fields" in broken:
        g = replace(g, fields=("address", "name"))
    if "quota" in broken:
        g = replace(g, used_today=g.quota_per_day)
    if "grade" in broken:
        below = GRADES[max(GRADES.index(res.grade) - 1, 0)]
        g = replace(g, max_grade=below)
    return g


def consent(res: CallResource, broken: frozenset[str] = frozenset()) -> ConsentFacts:
    """The holder's consent for this call, valid except for `broken`."""
    return ConsentFacts(
        caller="app-0002" if "consent_caller" in broken else CALLER,
        certificate_type="CT-9999" if "consent_type" in broken else res.code,
        purpose="其他事由" if "consent_purpose" in broken else PURPOSE,
        valid_until=NOW - timedelta(minutes=5)
        if "consent_expired" in broken
        else NOW + timedelta(days=1),
        used="consent_used" in broken,
        revoked="consent_revoked" in broken,
    )


def facts(
    broken: frozenset[str],
    *,
    res: CallResource | None = None,
    fields: tuple[str, ...] = ("name", "address", "id_number"),
) -> CallFacts:
    """Facts for one call with exactly the `broken` conditions failing."""
    res = res or resource()
    if "not_shared" in broken:
        res = replace(res, sharing_type=SharingType.NOT_SHARED)
    if "grade" in broken and res.grade is Grade.GENERAL:
        res = replace(res, grade=Grade.IMPORTANT)
    personal = res.personal or bool(broken & {"consent_missing", *CONSENT_CONDITIONS})
    res = replace(res, personal=personal)
    grants = () if "no_grant" in broken else (grant(res, broken=broken & set(GRANT_CONDITIONS)),)
    given = None if "consent_missing" in broken else consent(res, broken)
    return CallFacts(
        now=NOW,
        caller=Caller(client_id=CALLER, role=Role.INTEGRATOR),
        resource=res,
        purpose=PURPOSE,
        matter=MATTER,
        fields=fields,
        grants=grants,
        consent=given,
    )


def call_cases(seed: int = SEED) -> list[CallCase]:
    """The whole call table (about 300 rows), deterministic for a seed."""
    cases = list(_baselines())
    for cond in CONDITIONS:
        cases.append(CallCase(f"only {cond}", facts(frozenset({cond}))))
        cases.append(
            CallCase(
                f"only {cond} (dataset, not personal, CORE)",
                facts(
                    frozenset({cond}),
                    res=resource(
                        kind=ResourceKind.DATASET, code="DS-0001", grade=Grade.CORE, personal=False
                    ),
                ),
            )
        )
    for a, b in itertools.combinations(CONDITIONS, 2):
        cases.append(CallCase(f"{a} + {b}", facts(frozenset({a, b}))))
    cases.extend(_boundaries())
    cases.extend(_competing_grants())
    cases.extend(_fast_path())
    rng = random.Random(seed)
    cases.extend(_random_case(rng, n) for n in range(100))
    return cases


def _baselines() -> list[CallCase]:
    out = []
    for kind, personal, sharing, grade in itertools.product(
        ResourceKind, (True, False), (SharingType.UNCONDITIONAL, SharingType.CONDITIONAL), GRADES
    ):
        res = resource(
            kind=kind,
            code=f"{kind.value[:2]}-0001",
            grade=grade,
            sharing=sharing,
            personal=personal,
        )
        out.append(
            CallCase(
                f"allowed {kind.value} {sharing.value} {grade.value} personal={personal}",
                facts(frozenset(), res=res),
            )
        )
    res = resource()
    out.append(
        CallCase("no fields requested: all grant fields", facts(frozenset(), res=res, fields=()))
    )
    out.append(CallCase("nothing sensitive", facts(frozenset(), res=resource(sensitive=()))))
    return out


def _boundaries() -> list[CallCase]:
    res = resource()
    base = facts(frozenset(), res=res)
    g = base.grants[0]
    c = base.consent
    assert c is not None
    rows = [
        ("grant starts exactly now", replace(g, valid_from=NOW)),
        ("grant ends exactly now", replace(g, valid_until=NOW)),
        (
            "grant ends one microsecond after now",
            replace(g, valid_until=NOW + timedelta(microseconds=1)),
        ),
        (
            "grant starts one microsecond after now",
            replace(g, valid_from=NOW + timedelta(microseconds=1)),
        ),
        ("last call of the quota", replace(g, used_today=g.quota_per_day - 1)),
        ("quota of zero", replace(g, quota_per_day=0, used_today=0)),
        ("grant cleared above the grade", replace(g, max_grade=Grade.CORE)),
        ("grant of another caller only", replace(g, caller="app-0002")),
        ("grant for another resource only", replace(g, resource_code="CT-0002")),
        ("all sensitive fields unmasked", replace(g, unmasked_fields=SENSITIVE)),
    ]
    out = [CallCase(name, replace(base, grants=(grant_,))) for name, grant_ in rows]
    out.append(
        CallCase("consent ends exactly now", replace(base, consent=replace(c, valid_until=NOW)))
    )
    out.append(
        CallCase(
            "consent ends in a second",
            replace(base, consent=replace(c, valid_until=NOW + timedelta(seconds=1))),
        )
    )
    out.append(CallCase("requested field twice", replace(base, fields=("name", "name"))))
    out.append(
        CallCase("requested field unknown to the grant", replace(base, fields=("name", "zodiac")))
    )
    return out


def _competing_grants() -> list[CallCase]:
    res = resource()
    base = facts(frozenset(), res=res)
    ok_b = grant(res, "g-b")
    ok_a = replace(grant(res, "g-a"), unmasked_fields=())
    bad1 = grant(res, "g-c", frozenset({"revoked"}))
    bad1b = grant(res, "g-0", frozenset({"purpose"}))
    bad2 = grant(res, "g-d", frozenset({"quota", "matter"}))
    other = replace(grant(res, "g-00"), caller="app-0002")
    rows = [
        ("two passing grants: smallest id decides", (ok_b, ok_a)),
        ("a failing and a passing grant", (bad1, ok_b)),
        ("one failure beats two", (bad2, bad1)),
        ("equal failures: smallest id", (bad1, bad1b)),
        ("other caller's grant ignored, own fails", (other, bad2)),
        ("other caller's passing grant does not help", (other,)),
        (
            "three failing grants",
            (bad2, bad1, grant(res, "g-e", frozenset({"expired", "grade", "fields"}))),
        ),
    ]
    return [CallCase(name, replace(base, grants=grants)) for name, grants in rows]


def _fast_path() -> list[CallCase]:
    """Rows that tell a wrong fast path (call.rego) from the full evaluation: the consent of a
    resource that is not personal, equal grant ids, all the grant's fields with several grants."""
    res = resource(personal=False)
    base = facts(frozenset(), res=res)
    c = base.consent
    assert c is not None
    rows = [
        CallCase("not personal, no consent", replace(base, consent=None)),
        CallCase("not personal, consent used", replace(base, consent=replace(c, used=True))),
        CallCase(
            "not personal, consent expired and for another caller",
            replace(base, consent=replace(c, valid_until=NOW, caller="app-0002")),
        ),
    ]
    res = resource()
    base = facts(frozenset(), res=res)
    ok = grant(res, "g-a")
    wide = replace(grant(res, "g-b"), unmasked_fields=(), fields=(*FIELDS, "email"))
    rows += [
        CallCase(
            "same id twice: the first fails, the second passes",
            replace(base, grants=(grant(res, "g-a", frozenset({"revoked"})), ok)),
        ),
        CallCase(
            "same id twice, both pass: the first decides",
            replace(base, grants=(ok, replace(ok, unmasked_fields=()))),
        ),
        CallCase(
            "no fields requested, the passing grant with the smaller id is second",
            replace(base, fields=(), grants=(wide, replace(ok, fields=("name", "phone")))),
        ),
        CallCase(
            "no fields requested, the grant with the smaller id fails",
            replace(base, fields=(), grants=(grant(res, "g-0", frozenset({"quota"})), wide)),
        ),
        CallCase(
            "not shared, two passing grants",
            replace(facts(frozenset({"not_shared"}), res=res), grants=(ok, replace(ok, id="g-b"))),
        ),
    ]
    return rows


def _random_case(rng: random.Random, n: int) -> CallCase:
    kind = rng.choice(list(ResourceKind))
    grade = rng.choice(GRADES)
    res = resource(
        kind=kind,
        code=f"R-{rng.randrange(3)}",
        grade=grade,
        sharing=rng.choice(list(SharingType)) if rng.random() < 0.3 else SharingType.CONDITIONAL,
        personal=rng.random() < 0.6,
        sensitive=tuple(sorted(rng.sample(FIELDS, rng.randrange(len(FIELDS) + 1)))),
    )
    grants = []
    for k in range(rng.choice((0, 1, 1, 1, 2, 2, 3, 4))):
        broken = frozenset(c for c in GRANT_CONDITIONS if rng.random() < 0.2)
        g = grant(res, f"g-{rng.randrange(100):02d}-{k}", broken)
        g = replace(
            g,
            caller=CALLER if rng.random() < 0.9 else "app-0002",
            resource_code=res.code if rng.random() < 0.9 else "R-other",
            unmasked_fields=tuple(sorted(rng.sample(FIELDS, rng.randrange(3)))),
            fields=tuple(sorted(rng.sample(FIELDS, rng.randrange(2, len(FIELDS) + 1)))),
        )
        grants.append(g)
    consent_broken = frozenset(c for c in CONSENT_CONDITIONS if rng.random() < 0.15)
    given = None if rng.random() < 0.15 else consent(res, consent_broken)
    fields = tuple(rng.sample(FIELDS, rng.randrange(len(FIELDS) + 1)))
    base = CallFacts(
        now=NOW,
        caller=Caller(client_id=CALLER, role=Role.INTEGRATOR),
        resource=res,
        purpose=PURPOSE,
        matter=MATTER,
        fields=fields,
        grants=tuple(grants),
        consent=given,
    )
    return CallCase(f"random #{n}", base)


def approval_cases() -> list[ApprovalCase]:
    """Every role × action × ownership × sharing type (144 rows)."""
    out = []
    for role, action, dept, sharing in itertools.product(
        Role, ApprovalAction, (OWNER, "91350200MA0000002Y", None), SharingType
    ):
        f = ApprovalFacts(
            role=role,
            department=dept,
            action=action,
            owner=OWNER,
            sharing_type=sharing,
            requester_department="91350200MA0000003Z",
        )
        out.append(ApprovalCase(f"{role.value} {action.value} dept={dept} {sharing.value}", f))
    return out
