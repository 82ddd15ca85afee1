"""Audit records (access.audit.records): canonical bytes are RFC 8785 (checked against the
`rfc8785` reference implementation), parse back strictly, and carry no plain personal data."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.audit.errors import InvalidAuditRecord
from access.audit.merkle import leaf_hash
from access.audit.records import (
    AuditDecision,
    AuditKind,
    AuditRecord,
    format_time,
    record_seq,
)
from catalog.codes import make_citizen_id

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
DIGEST = hashlib.sha256(b"response").hexdigest()
BLIND = hashlib.sha256(b"holder").hexdigest()
WHEN = datetime(2025, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)


def call(**changes: object) -> AuditRecord:
    record = AuditRecord(
        seq=7,
        time=WHEN,
        kind=AuditKind.LICENSED_CALL,
        actor="app-0001",
        resource="R-000123",
        holder_blind_index=BLIND,
        purpose="办理食品经营许可变更",
        matter="350200-000-XK-0001",
        decision=AuditDecision.ALLOW,
        reasons=("grant.valid", "consent.valid"),
        fields_released=("证照编号", "持证主体"),
        response_digest=DIGEST,
        request_id="req-42",
        grant_id="g-42",
        consent_id="c-42",
    )
    return replace(record, **changes)  # type: ignore[arg-type]


# any Unicode text but controls and lone surrogates, including astral-plane characters
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
OPT_TEXT = st.none() | TEXT
LABEL = st.text(alphabet=st.characters(whitelist_categories=("L",)), min_size=1, max_size=20)
NO_DIGITS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Nd")), min_size=1, max_size=40
)
HEX = st.binary(min_size=32, max_size=32).map(bytes.hex)


@st.composite
def records(draw: st.DrawFn) -> AuditRecord:
    return AuditRecord(
        seq=draw(st.integers(min_value=0, max_value=2**53 - 1)),
        time=draw(
            st.datetimes(
                min_value=datetime(1, 1, 2),
                max_value=datetime(9999, 12, 30),
                timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]),
            )
        ),
        kind=draw(st.sampled_from(AuditKind)),
        actor=draw(TEXT),
        resource=draw(OPT_TEXT),
        holder_blind_index=draw(st.none() | HEX),
        purpose=draw(st.none() | NO_DIGITS),
        matter=draw(OPT_TEXT),
        decision=draw(st.none() | st.sampled_from(AuditDecision)),
        reasons=tuple(draw(st.lists(LABEL, max_size=4))),
        fields_released=tuple(draw(st.lists(LABEL, max_size=4))),
        response_digest=draw(st.none() | HEX),
        request_id=draw(OPT_TEXT),
        grant_id=draw(OPT_TEXT),
        consent_id=draw(OPT_TEXT),
        before_digest=draw(st.none() | HEX),
        after_digest=draw(st.none() | HEX),
    )


@DETERMINISTIC
@given(records())
def test_canonical_bytes_are_exactly_rfc8785(record: AuditRecord) -> None:
    assert record.canonical_bytes() == rfc8785.dumps(record.to_json())


@DETERMINISTIC
@given(records())
def test_canonical_bytes_parse_back_to_the_same_record(record: AuditRecord) -> None:
    data = record.canonical_bytes()
    assert record_seq(data) == record.seq  # the verifier's cheap read agrees
    again = AuditRecord.from_canonical(data)
    assert again.canonical_bytes() == data
    assert again == replace(record, time=record.time.astimezone(UTC))
    assert record.leaf_hash() == leaf_hash(data)


@DETERMINISTIC
@given(records(), st.integers(min_value=0, max_value=2**53 - 1))
def test_a_record_placed_at_another_seq_is_the_record_made_there(
    record: AuditRecord, seq: int
) -> None:
    placed = record.at(seq)
    assert placed == replace(record, seq=seq)
    assert placed.canonical_bytes() == replace(record, seq=seq).canonical_bytes()
    assert record.at(record.seq) == record


@pytest.mark.parametrize("seq", [-1, 2**53, True, "1"])
def test_a_record_is_not_placed_at_an_impossible_seq(seq: object) -> None:
    with pytest.raises(InvalidAuditRecord):
        call().at(seq)  # type: ignore[arg-type]


def test_a_known_record_has_known_bytes() -> None:
    record = AuditRecord(
        seq=0,
        time=datetime(2025, 5, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))),
        kind=AuditKind.CATALOG_CHANGED,
        actor="91350200MA0000000X",
        resource="DS-0001",
        before_digest="0" * 64,
        after_digest="f" * 64,
    )
    assert record.canonical_bytes() == (
        b'{"actor":"91350200MA0000000X","after_digest":"' + b"f" * 64 + b'","before_digest":"'
        + b"0" * 64 + b'","consent_id":null,"decision":null,"fields_released":[],'
        b'"grant_id":null,"holder_blind_index":null,"kind":"CATALOG_CHANGED","matter":null,'
        b'"purpose":null,"reasons":[],"request_id":null,"resource":"DS-0001",'
        b'"response_digest":null,"seq":0,"time":"2025-05-01T08:00:00.000000Z","v":1}'
    )  # fmt: skip


def test_strings_are_escaped_as_jcs_requires() -> None:
    record = call(purpose='引号" 反斜杠\\ 斜杠/ \u2028 😀 é')
    data = record.canonical_bytes()
    assert '"purpose":"引号\\" 反斜杠\\\\ 斜杠/ \u2028 😀 é"'.encode() in data
    assert data == rfc8785.dumps(record.to_json())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b.replace(b'"seq":7', b'"seq":7.0'),
        lambda b: b.replace(b'"seq":7', b'"seq": 7'),
        lambda b: b.replace(b"{", b"{ ", 1),
        lambda b: b + b"\n",
        lambda b: b.replace("食品".encode(), b"\\u98df\\u54c1"),  # escaped where JCS writes raw
        lambda b: b.replace(b".123456Z", b".123456+00:00"),
        lambda b: b.replace(b".123456Z", b".123Z"),
        lambda b: b.replace(b'"v":1', b'"v":2'),
        lambda b: b.replace(b'"v":1', b'"v":1,"extra":null'),
        lambda b: b.replace(b'"kind":"LICENSED_CALL"', b'"kind":"licensed_call"'),
        lambda b: b.replace(b'"seq":7', b'"seq":-7'),
        lambda b: b.replace(b'"seq":7', b'"seq":true'),
        lambda b: b"[]",
        lambda b: b"not json",
    ],
)
def test_non_canonical_or_foreign_bytes_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    data = call().canonical_bytes()
    AuditRecord.from_canonical(data)
    with pytest.raises(InvalidAuditRecord):
        AuditRecord.from_canonical(mangle(data))


def test_key_order_other_than_canonical_is_refused() -> None:
    obj = orjson.loads(call().canonical_bytes())
    shuffled = orjson.dumps(dict(reversed(list(obj.items()))))
    with pytest.raises(InvalidAuditRecord, match="canonical"):
        AuditRecord.from_canonical(shuffled)


def test_citizen_id_numbers_are_refused_in_free_text_without_being_echoed() -> None:
    cid = make_citizen_id(birth=date(1990, 1, 2), seq=17, female=True)
    for field, value in [
        ("purpose", f"为{cid}办理"),
        ("reasons", ("grant.valid", cid)),
        ("fields_released", (cid,)),
    ]:
        with pytest.raises(InvalidAuditRecord) as info:
            call(**{field: value})
        assert cid not in str(info.value) and cid[:6] not in repr(info.value.args)
    call(purpose="事项 350200000000000000 办理")  # 18 digits that are not a valid ID: allowed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", -1),
        ("seq", 2**53),
        ("seq", True),
        ("time", datetime(2025, 5, 1, 8, 0)),  # naive: its zone would be a guess
        ("kind", "LICENSED_CALL"),
        ("decision", "ALLOW"),
        ("actor", ""),
        ("actor", "a\nb"),
        ("resource", "x" * 513),
        ("purpose", "bad\ud800surrogate"),
        ("reasons", ["not", "a", "tuple"]),
        ("reasons", ("",)),
        ("response_digest", DIGEST.upper()),
        ("response_digest", DIGEST[:-1]),
        ("before_digest", "sha256:" + DIGEST),
        ("holder_blind_index", "short"),
        ("holder_blind_index", "has spaces in it....."),
    ],
)
def test_out_of_domain_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(InvalidAuditRecord):
        call(**{field: value})


def test_times_have_one_spelling() -> None:
    assert format_time(datetime(2025, 5, 1, 16, tzinfo=timezone(timedelta(hours=8)))) == (
        "2025-05-01T08:00:00.000000Z"
    )
    assert format_time(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"


def test_a_seq_hidden_in_text_is_not_read_and_mangled_rows_count_as_out_of_place() -> None:
    tricky = call(seq=12, purpose=',"seq":99,', request_id='"seq":98')
    assert b',\\"seq\\":99' in tricky.canonical_bytes()
    assert record_seq(tricky.canonical_bytes()) == 12
    for mangled in (
        b"",
        b"[]",
        b'{"a":1,"seq":"7"}',
        b'{"a":1,"seq":true}',
        b'{"a":1,"seq":07}',
        b'{"a":1,"seq":-7}',
        b'{"a":1,"seq":1,"seq":1}',
        b'{"no":1}',
        b"\xff",
    ):
        assert record_seq(mangled) == -1
