"""Issuance, consent and the licensed call through the use cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from access.audit.log import AuditLog, RecordFilter
from access.audit.records import AuditDecision, AuditDraft, AuditKind
from access.crypto.jws import TrustStore
from access.crypto.vc import verify_credential
from access.elicenses.calls import CallRequest, Denied, Released
from access.elicenses.committer import CallWrite, GroupCommitter, _Waiter
from access.elicenses.issuance import IssueInput
from api.services import Services, build_services
from api.settings import Settings
from catalog.problems import Forbidden, NotFound, Unavailable, ValidationFailed
from tests.elicense_fixtures import (
    BUSINESS,
    COMPANY,
    MATTER,
    OTHER_PERSON,
    PERSON,
    PURPOSE,
    RESIDENCE,
    World,
    build_world,
    business,
    residence,
)


@pytest.fixture
def services(records_url: str, tmp_path: Path) -> Iterator[Services]:
    made = build_services(Settings(data_dir=tmp_path, records_url=records_url))
    yield made
    made.close()


@pytest.fixture
def world(services: Services) -> World:
    made = build_world(services)
    services.elicenses.issue_many(
        principal=made.gaj, items=[residence(), residence(OTHER_PERSON, 2)]
    )
    services.elicenses.issue(principal=made.scjg, item=business())
    return made


def consent_code(world: World, *, person: str = PERSON, purpose: str = PURPOSE) -> str:
    consent = world.services.consents.give(
        principal=world.holder_app,
        holder_code=person,
        certificate_type=RESIDENCE,
        caller_client_id=world.integrator.client_id,
        purpose=purpose,
        valid_until=datetime.now(UTC) + timedelta(days=30),
    )
    return world.services.consents.one_time_code(
        principal=world.holder_app, consent_id=consent.id
    ).code


def call(world: World, **changes: object) -> Released | Denied:
    values: dict[str, object] = {
        "certificate_type": RESIDENCE,
        "holder_code": PERSON,
        "purpose": PURPOSE,
        "matter": MATTER,
        "fields": ("姓名", "公民身份号码"),
        "consent_code": None,
    }
    values.update(changes)
    return world.services.calls.call(principal=world.integrator, request=CallRequest(**values))  # type: ignore[arg-type]


def codes(result: Released | Denied) -> list[str]:
    assert isinstance(result, Denied), result
    return [r.code for r in result.reasons]


def test_a_consented_call_returns_only_granted_fields_masked_and_signed(world: World) -> None:
    result = call(world, consent_code=consent_code(world))
    assert isinstance(result, Released)
    assert result.fields == ("姓名", "公民身份号码")
    assert result.masked == ("公民身份号码",)
    trust = TrustStore.for_keyring(world.services.settings.public_url, world.services.keys)
    verified = verify_credential(result.token, trust)
    subject = verified.credential["credentialSubject"]
    assert subject["surface"]["姓名"] == "林晓梅"
    assert subject["surface"]["公民身份号码"] == PERSON[:4] + "*" * 10 + PERSON[-4:]
    assert "居住地址" not in subject["surface"]
    assert subject["licenseId"] == result.license_id
    statuses = verified.credential["credentialStatus"]
    assert [s["statusListCredential"].rsplit("/", 2)[1] for s in statuses] == [
        "elicenses",
        "grants",
    ]
    record = world.services.audit.record(result.audit_seq)
    assert record.decision is not None and record.decision.value == "ALLOW"
    assert record.fields_released == ("姓名", "公民身份号码")
    assert record.holder_blind_index and PERSON not in record.canonical_bytes().decode()


def test_a_consent_code_works_once(world: World) -> None:
    code = consent_code(world)
    assert isinstance(call(world, consent_code=code), Released)
    assert "CONSENT_INVALID" in codes(call(world, consent_code=code))


def test_personal_licenses_need_consent_and_unknown_codes_are_refused(world: World) -> None:
    assert codes(call(world)) == ["CONSENT_REQUIRED"]
    assert codes(call(world, consent_code="not-a-code")) == ["CONSENT_CODE_UNKNOWN"]
    other = consent_code(world, person=OTHER_PERSON)
    assert codes(call(world, consent_code=other)) == ["CONSENT_NOT_FOR_HOLDER"]


def test_expired_and_withdrawn_consents_are_refused(world: World) -> None:
    consent = world.services.consents.give(
        principal=world.holder_app,
        holder_code=PERSON,
        certificate_type=RESIDENCE,
        caller_client_id=world.integrator.client_id,
        purpose=PURPOSE,
        valid_until=datetime.now(UTC) + timedelta(days=1),
    )
    short = world.services.consents.one_time_code(
        principal=world.holder_app, consent_id=consent.id, ttl=timedelta(seconds=10)
    )
    world.services.calls._clock = lambda: datetime.now(UTC) + timedelta(seconds=30)
    assert "CONSENT_INVALID" in codes(call(world, consent_code=short.code))
    world.services.calls._clock = lambda: datetime.now(UTC)
    fresh = world.services.consents.one_time_code(principal=world.holder_app, consent_id=consent.id)
    world.services.consents.withdraw(principal=world.holder_app, consent_id=consent.id)
    assert "CONSENT_INVALID" in codes(call(world, consent_code=fresh.code))


def test_out_of_grant_fields_wrong_purpose_and_revocations_are_refused(world: World) -> None:
    denied = call(world, consent_code=consent_code(world), fields=("签发日期",))
    assert codes(denied) == ["FIELDS_NOT_GRANTED"]
    assert isinstance(denied, Denied) and denied.audit_seq is not None
    assert "PURPOSE_NOT_GRANTED" in codes(
        call(world, purpose="其他用途", consent_code=consent_code(world, purpose="其他用途"))
    )
    world.services.elicenses.revoke(
        principal=world.gaj, license_id=residence_id(world), reason="持证人迁出"
    )
    assert codes(call(world, consent_code=consent_code(world))) == ["ELICENSE_REVOKED"]
    grant = world.grant_ids[RESIDENCE]
    world.services.sharing.revoke(principal=world.gaj, grant_id=grant, reason="项目结束")
    assert "GRANT_REVOKED" in codes(call(world, consent_code=consent_code(world)))


def residence_id(world: World) -> str:
    rows = world.services.elicenses.issued(principal=world.gaj, type_code=RESIDENCE)
    index = world.services.elicenses.holder_index(residence_type_kind(), PERSON)
    return next(r.id for r in rows if r.holder_index == index)


def residence_type_kind():  # type: ignore[no-untyped-def]
    from catalog.model import HolderKind

    return HolderKind.PERSON


def test_enterprise_licenses_need_no_consent_and_quota_is_counted(services: Services) -> None:
    world = build_world(services, quota=2)
    services.elicenses.issue(principal=world.scjg, item=business())
    request = {"certificate_type": BUSINESS, "holder_code": COMPANY, "fields": ()}
    assert isinstance(call(world, **request), Released)
    # the enterprise grant is unconditional: default quota; the personal one has quota 2
    for _ in range(2):
        assert isinstance(call(world, consent_code=consent_code(world)), Denied)  # no license
    usage = services.calls.usage(
        grant_ids=list(world.grant_ids.values()), since=datetime.now(UTC).date() - timedelta(days=1)
    )
    assert sum(c for g, _d, c in usage if g == world.grant_ids[BUSINESS]) == 1


def test_the_daily_quota_is_enforced(services: Services) -> None:
    world = build_world(services, quota=2)
    services.elicenses.issue(principal=world.gaj, item=residence())
    assert isinstance(call(world, consent_code=consent_code(world)), Released)
    assert isinstance(call(world, consent_code=consent_code(world)), Released)
    assert "QUOTA_EXCEEDED" in codes(call(world, consent_code=consent_code(world)))


def test_wrong_check_characters_and_unknown_types_are_typed_errors(world: World) -> None:
    bad = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as caught:
        call(world, holder_code=bad)
    assert caught.value.issues[0].path == "holder"
    assert bad not in str(caught.value) and bad not in caught.value.message
    with pytest.raises(NotFound):
        call(world, certificate_type=RESIDENCE[:-3] + "999")


def test_issuance_validates_everything_and_writes_nothing_on_error(world: World) -> None:
    bad = IssueInput(
        type_code=RESIDENCE,
        issuer_code=RESIDENCE[:18],
        license_id="1.2.156.3005.2." + RESIDENCE + "." + RESIDENCE[:18] + ".9.1.Z",
        number="X",
        holder_name="某人",
        holder_code=PERSON[:-1] + "0" if PERSON[-1] != "0" else PERSON[:-1] + "1",
        issued_on=datetime.now(UTC).date(),
        valid_from=datetime.now(UTC).date(),
        surface={"姓名": "某人", "未知字段": "x"},
    )
    with pytest.raises(ValidationFailed) as caught:
        world.services.elicenses.issue_many(principal=world.gaj, items=[residence(serial=9), bad])
    paths = {(i.path, i.code) for i in caught.value.issues}
    assert ("items[1].licenseId", "LICENSE_ID_CHECK_CHAR") in paths
    assert any(p == "items[1].holderCode" for p, _ in paths)
    assert ("items[1].surface", "UNKNOWN_SURFACE_FIELD") in paths
    assert ("items[1].surface", "MISSING_SURFACE_FIELD") in paths
    assert len(world.services.elicenses.issued(principal=world.gaj)) == 2  # nothing added
    with pytest.raises(Forbidden):
        world.services.elicenses.issue(principal=world.scjg, item=residence(serial=10))


def test_personal_values_are_encrypted_and_keys_rotate_without_reissue(world: World) -> None:
    services = world.services
    with services.records.connect() as connection:
        dump = " ".join(str(r) for r in connection.execute(text("SELECT * FROM elicenses")))
    assert PERSON not in dump and "林晓梅" not in dump
    old = services.keys.active_data_key.kid
    services.keys.rotate_data_key()
    assert services.elicenses.reencrypt() == 3
    with services.records.connect() as connection:
        kids = {k for (k,) in connection.execute(text("SELECT data_kid FROM elicenses"))}
    assert kids == {services.keys.active_data_key.kid} != {old}
    assert isinstance(call(world, consent_code=consent_code(world)), Released)


def test_an_unreachable_policy_engine_refuses_and_releases_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from access.policy_opa import OpaPolicyEngine

    engine = OpaPolicyEngine(url="http://127.0.0.1:9", timeout=0.2)
    world.services.calls._policy = engine
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(Unavailable):
            call(world, consent_code=consent_code(world))
    finally:
        engine.close()
    assert PERSON not in caplog.text
    denied = world.services.audit.search(
        RecordFilter(decision=AuditDecision.DENY), newest_first=True, limit=1
    )
    assert denied.records[0].reasons == ("POLICY_UNAVAILABLE",)


def test_concurrent_calls_share_commits_yet_a_code_works_once_and_quotas_hold(
    services: Services,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    world = build_world(services, quota=5)
    services.elicenses.issue(principal=world.gaj, item=residence())
    shared = consent_code(world)
    with ThreadPoolExecutor(max_workers=8) as pool:
        same = list(pool.map(lambda _: call(world, consent_code=shared), range(8)))
    assert sum(isinstance(r, Released) for r in same) == 1
    refused = {c for r in same if isinstance(r, Denied) for c in codes(r)}
    assert refused <= {"CONSENT_INVALID", "CONSENT_CODE_USED"}
    fresh = [consent_code(world) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        many = list(pool.map(lambda code: call(world, consent_code=code), fresh))
    assert sum(isinstance(r, Released) for r in many) == 4  # 5 a day, one used above
    assert all("QUOTA_EXCEEDED" in codes(r) for r in many if isinstance(r, Denied))
    seqs = [r.audit_seq for r in [*same, *many]]
    assert len(set(seqs)) == len(seqs)
    assert services.audit.verify().ok


@pytest.mark.opa
def test_licensed_calls_decided_by_the_opa_server(world: World) -> None:
    """The production path: the same calls decided by a real OPA server (CI starts one)."""
    from access.policy_opa import OpaPolicyEngine
    from tests.conftest import require_service

    engine = OpaPolicyEngine(url=require_service("OPA", "IRS_TEST_OPA_URL"), timeout=2.0)
    world.services.calls._policy = engine
    try:
        assert isinstance(call(world, consent_code=consent_code(world)), Released)
        assert codes(call(world)) == ["CONSENT_REQUIRED"]
        assert codes(call(world, consent_code=consent_code(world), fields=("签发日期",))) == [
            "FIELDS_NOT_GRANTED"
        ]
    finally:
        engine.close()


async def test_calls_on_an_event_loop_are_each_written_before_answering(services: Services) -> None:
    import asyncio

    world = build_world(services, quota=6)
    services.elicenses.issue(principal=world.gaj, item=residence())
    shared = consent_code(world)
    fresh = [consent_code(world) for _ in range(9)]

    def request(code: str) -> CallRequest:
        return CallRequest(
            certificate_type=RESIDENCE,
            holder_code=PERSON,
            purpose=PURPOSE,
            matter=MATTER,
            fields=("姓名",),
            consent_code=code,
        )

    calls = services.calls
    before, commits_before = calls.committer.writes, calls.committer.commits
    results = await asyncio.gather(
        *(
            calls.call_async(principal=world.integrator, request=request(code))
            for code in [shared, shared, shared, *fresh]
        )
    )
    released = [r for r in results if isinstance(r, Released)]
    assert len(released) == 6  # one for the shared code, five fresh ones: the quota
    assert sum(isinstance(r, Released) for r in results[:3]) == 1
    assert calls.committer.writes - before == len(results)  # every answer was written first
    # calls that were ready together are committed together (one commit, not twelve)
    assert calls.committer.commits - commits_before == 1
    assert services.audit.verify().ok


def test_a_changed_certificate_type_governs_the_very_next_call(
    world: World, tmp_path: Path
) -> None:
    """Calls keep decoded certificate types while nothing is written; any write, here or by
    another process, is seen by the next call."""
    from catalog.ledger import Ledger
    from catalog.model import Kind, SharingType
    from catalog.principal import SYSTEM_PRINCIPAL

    assert isinstance(call(world, consent_code=consent_code(world)), Released)
    world.services.ledger.update(
        principal=SYSTEM_PRINCIPAL,
        kind=Kind.CERTIFICATE_TYPE,
        code=RESIDENCE,
        changes={"sharing_type": SharingType.NOT_SHARED},
    )
    assert "NOT_SHARED" in codes(call(world, consent_code=consent_code(world)))
    from graph.sqlite_store import SqliteGraphStore

    other = SqliteGraphStore(Path(world.services.settings.graph_url))  # another process
    try:
        Ledger(store=other).update(
            principal=SYSTEM_PRINCIPAL,
            kind=Kind.CERTIFICATE_TYPE,
            code=RESIDENCE,
            changes={"sharing_type": SharingType.CONDITIONAL},
        )
    finally:
        other.close()
    assert isinstance(call(world, consent_code=consent_code(world)), Released)


def test_a_failed_commit_releases_nothing_keeps_nothing_and_the_next_call_works(
    world: World,
) -> None:
    engine = world.services.records
    code = consent_code(world)
    rename = "ALTER TABLE audit_node RENAME TO {}"
    with engine.begin() as connection:  # the audit store breaks (its node table is gone)
        connection.execute(text(rename.format("audit_node_away")))
    try:
        with pytest.raises(Unavailable):
            call(world, consent_code=code)
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_node_away RENAME TO audit_node"))
    # nothing of the failed batch stayed: the one-time code is still unused, and the
    # committer's next batch (on a fresh connection) writes as before
    result = call(world, consent_code=code)
    assert isinstance(result, Released)
    assert world.services.audit.verify().ok


def test_replicas_committing_the_same_grants_in_opposite_orders_do_not_deadlock(
    world: World,
) -> None:
    """Two replicas (committers on their own connections, each with its own log object) commit
    batches for the same two grants, queued in opposite orders, at the same moment, again and
    again: on PostgreSQL each would lock the usage rows in its own order and deadlock, had the
    batch not locked them in one order first."""
    services = world.services
    grants = [world.grant_ids[RESIDENCE], world.grant_ids[BUSINESS]]
    day = datetime.now(UTC).date() + timedelta(days=7)  # a day no other test counts on
    replicas = [
        GroupCommitter(
            engine=services.records,
            audit=AuditLog(services.records, services.audit._key, origin=services.audit.origin),
        )
        for _ in range(2)
    ]

    def batch(order: list[str]) -> list[_Waiter]:
        waiters = []
        for grant in order:
            draft = AuditDraft(
                time=datetime.now(UTC),
                kind=AuditKind.LICENSED_CALL,
                actor="replica-test",
                decision=AuditDecision.ALLOW,
                grant_id=grant,
            )
            write = CallWrite(draft=draft, grant_id=grant, day=day, quota=10_000)
            waiters.append(_Waiter(write, draft.at(0)))
        return waiters

    start = threading.Barrier(2)
    rounds = 15

    def replica(committer: GroupCommitter, order: list[str]) -> None:
        try:
            for _ in range(rounds):
                start.wait(timeout=30)
                assert [c.refused for c in committer._commit(batch(order))] == [None, None]
        except BaseException:
            start.abort()  # the other replica stops waiting for this one
            raise

    try:
        with ThreadPoolExecutor(2) as pool:
            done = [
                pool.submit(replica, replicas[0], grants),
                pool.submit(replica, replicas[1], grants[::-1]),
            ]
            for future in done:
                future.result(timeout=60)
    finally:
        for committer in replicas:
            committer.close()
    usage = services.calls.usage(grant_ids=grants, since=day)
    assert sorted(c for _g, _d, c in usage) == [2 * rounds, 2 * rounds]
    assert services.audit.verify().ok
