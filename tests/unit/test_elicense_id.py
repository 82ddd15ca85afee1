"""Tests for access.elicense_id: building and parsing 证照标识 with their check character.

The check character is recomputed here with an independent formulation of ISO 7064
MOD 37,36 (the "start at M/2, reduce mod M+1" form), over exactly the characters the module
documents: the root digits, type code, issuer code, serial and version, without dots.
"""

from __future__ import annotations

import pickle
import string
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from access.elicense_id import (
    LICENSE_ID_ROOT,
    LicenseId,
    LicenseIdError,
    build_license_id,
    license_id_check_char,
    parse_license_id,
)
from catalog.codes import make_uscc

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)

_ALNUM = string.digits + string.ascii_uppercase
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def independent_mod37_36(body: str) -> str:
    """ISO 7064 MOD 37,36 in its textbook form: the check value makes the final S equal 1."""
    m = 36
    p = m
    for ch in body:
        s = (p + _ALNUM.index(ch)) % m or m
        p = (2 * s) % (m + 1)
    return _ALNUM[(m + 1 - p) % m]


DEFINER = make_uscc(registration_dept="1", org_type="1", seq=4711)
ISSUER = make_uscc(registration_dept="1", org_type="2", seq=815)
TYPE_CODE = DEFINER + "001"


def valid_id(serial: str = "20240001", version: str = "1") -> str:
    return build_license_id(TYPE_CODE, ISSUER, serial, version)


uscc_st = st.builds(
    lambda dept, kind, region, seq: make_uscc(
        registration_dept=dept, org_type=kind, region=region, seq=seq
    ),
    st.sampled_from(_USCC_ALPHABET),
    st.sampled_from(_USCC_ALPHABET),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.integers(0, 31**8 - 1),
)
parts_st = st.tuples(
    st.tuples(uscc_st, st.from_regex(r"[0-9]{3}", fullmatch=True)).map("".join),
    uscc_st,
    st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    st.from_regex(r"[0-9]{1,6}", fullmatch=True),
)


# --------------------------------------------------------------------------- building


def test_build_has_the_documented_shape() -> None:
    lid = valid_id()
    parts = lid.split(".")
    assert lid.startswith(LICENSE_ID_ROOT + ".")
    assert parts[5:9] == [TYPE_CODE, ISSUER, "20240001", "1"]
    body = "1215630052" + TYPE_CODE + ISSUER + "20240001" + "1"
    assert parts[9] == independent_mod37_36(body)


def test_check_char_covers_root_and_parts_without_dots() -> None:
    expected = independent_mod37_36("1215630052" + TYPE_CODE + ISSUER + "77" + "3")
    assert license_id_check_char(TYPE_CODE, ISSUER, "77", "3") == expected


def test_int_serial_and_version_are_unpadded_and_strings_kept() -> None:
    assert build_license_id(TYPE_CODE, ISSUER, 42, 2).split(".")[7:9] == ["42", "2"]
    assert build_license_id(TYPE_CODE, ISSUER, "0042", "02").split(".")[7:9] == ["0042", "02"]


def test_build_normalizes_lower_case_codes() -> None:
    assert build_license_id(TYPE_CODE.lower(), ISSUER.lower(), 1, 1) == build_license_id(
        TYPE_CODE, ISSUER, 1, 1
    )


@pytest.mark.parametrize(
    ("type_code", "issuer", "serial", "version", "part"),
    [
        (DEFINER + "01", ISSUER, 1, 1, "type_code"),
        (DEFINER + "0A1", ISSUER, 1, 1, "type_code"),
        (DEFINER[:-1] + ("0" if DEFINER[-1] != "0" else "1") + "001", ISSUER, 1, 1, "type_code"),
        (TYPE_CODE, ISSUER[:-1], 1, 1, "issuer_code"),
        (TYPE_CODE, ISSUER[:-1] + ("0" if ISSUER[-1] != "0" else "1"), 1, 1, "issuer_code"),
        (TYPE_CODE, ISSUER, "12A", 1, "serial"),
        (TYPE_CODE, ISSUER, "", 1, "serial"),
        (TYPE_CODE, ISSUER, "1" * 31, 1, "serial"),
        (TYPE_CODE, ISSUER, -5, 1, "serial"),
        (TYPE_CODE, ISSUER, 1, "1.2", "version"),
        (TYPE_CODE, ISSUER, 1, "1234567", "version"),
    ],
)
def test_build_rejects_bad_parts(
    type_code: str, issuer: str, serial: str | int, version: str | int, part: str
) -> None:
    with pytest.raises(LicenseIdError) as info:
        build_license_id(type_code, issuer, serial, version)
    assert info.value.part == part


def test_build_rejects_wrong_types() -> None:
    with pytest.raises(TypeError):
        build_license_id(TYPE_CODE, ISSUER, True, 1)
    with pytest.raises(TypeError):
        build_license_id(TYPE_CODE, ISSUER, 1.5, 1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parsing


def test_parse_returns_parts() -> None:
    parsed = parse_license_id(valid_id())
    assert parsed == LicenseId(
        type_code=TYPE_CODE,
        issuer_code=ISSUER,
        serial="20240001",
        version="1",
        check_char=valid_id().rsplit(".", 1)[1],
    )
    assert parsed.defining_body_code == DEFINER
    assert str(parsed) == parsed.value == valid_id()


def test_parse_normalizes_case_and_surrounding_space() -> None:
    assert parse_license_id(f"  {valid_id().lower()}\n").value == valid_id()


def _with_part(lid: str, index: int, value: str) -> str:
    parts = lid.split(".")
    parts[index] = value
    return ".".join(parts)


@pytest.mark.parametrize(
    ("mutate", "code", "part", "name_zh"),
    [
        (lambda s: s + ".X", "LICENSE_ID_MALFORMED", "structure", "证照标识"),
        (lambda s: s.rsplit(".", 1)[0], "LICENSE_ID_MALFORMED", "structure", "证照标识"),
        (
            lambda s: "1.2.156.3005.3" + s[len(LICENSE_ID_ROOT) :],
            "LICENSE_ID_ROOT",
            "root",
            "根代码",
        ),
        (
            lambda s: _with_part(s, 5, TYPE_CODE[:-1]),
            "LICENSE_ID_TYPE_CODE",
            "type_code",
            "证照类型代码",
        ),
        (
            lambda s: _with_part(s, 5, DEFINER + "00X"),
            "LICENSE_ID_TYPE_CODE",
            "type_code",
            "证照类型代码",
        ),
        (
            lambda s: _with_part(s, 6, "0" * 17 + "1"),
            "LICENSE_ID_ISSUER_CODE",
            "issuer_code",
            "颁发机构代码",
        ),
        (
            lambda s: _with_part(s, 6, " " + ISSUER[1:]),
            "LICENSE_ID_ISSUER_CODE",
            "issuer_code",
            "颁发机构代码",
        ),
        (lambda s: _with_part(s, 7, "2024O001"), "LICENSE_ID_SERIAL", "serial", "流水号"),
        (lambda s: _with_part(s, 8, ""), "LICENSE_ID_VERSION", "version", "版本号"),
        (lambda s: _with_part(s, 9, "AB"), "LICENSE_ID_CHECK_CHAR", "check_char", "校验位"),
        (lambda s: _with_part(s, 9, ""), "LICENSE_ID_CHECK_CHAR", "check_char", "校验位"),
    ],
)
def test_parse_names_the_wrong_part(
    mutate: Callable[[str], str], code: str, part: str, name_zh: str
) -> None:
    with pytest.raises(LicenseIdError) as info:
        parse_license_id(mutate(valid_id()))
    err = info.value
    assert (err.code, err.part) == (code, part)
    assert name_zh in err.message
    assert str(err) == err.message_en
    assert "please re-check" in err.message_en


def test_wrong_check_char_is_a_clear_error() -> None:
    lid = valid_id()
    wrong = next(c for c in _ALNUM if c != lid[-1])
    with pytest.raises(LicenseIdError) as info:
        parse_license_id(lid[:-1] + wrong)
    assert info.value.code == "LICENSE_ID_CHECK_CHAR"
    assert "校验位" in info.value.message
    assert "check character" in info.value.message_en


def test_errors_do_not_echo_input_and_pickle() -> None:
    bad = valid_id(serial="98765432123")[:-1] + "#"
    with pytest.raises(LicenseIdError) as info:
        parse_license_id(bad)
    err = info.value
    for text in (err.message, err.message_en, str(err), repr(err)):
        assert "98765432123" not in text
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - round-trips our own object
    assert (clone.code, clone.part, clone.message, clone.message_en) == (
        err.code,
        err.part,
        err.message,
        err.message_en,
    )


def test_parse_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        parse_license_id(123)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties


@DETERMINISTIC
@given(parts_st)
def test_build_parse_round_trip(parts: tuple[str, str, str, str]) -> None:
    type_code, issuer, serial, version = parts
    lid = build_license_id(type_code, issuer, serial, version)
    parsed = parse_license_id(lid)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == parts
    assert parsed.value == lid
    assert parsed.check_char == independent_mod37_36(
        "1215630052" + type_code + issuer + serial + version
    )


def _canonical(s: str) -> str:
    return s.strip().translate(str.maketrans(string.ascii_lowercase, string.ascii_uppercase))


@DETERMINISTIC
@given(
    parts_st,
    st.data(),
    st.one_of(
        st.sampled_from(_ALNUM + string.ascii_lowercase + ". -"),
        st.characters(codec="utf-8"),
    ),
)
def test_any_single_character_change_is_detected(
    parts: tuple[str, str, str, str], data: st.DataObject, replacement: str
) -> None:
    lid = build_license_id(*parts)
    position = data.draw(st.integers(0, len(lid) - 1))
    mutated = lid[:position] + replacement + lid[position + 1 :]
    assume(_canonical(mutated) != lid)
    with pytest.raises(LicenseIdError):
        parse_license_id(mutated)


@DETERMINISTIC
@given(parts_st, st.data())
def test_any_check_char_substitution_is_caught_as_check_char(
    parts: tuple[str, str, str, str], data: st.DataObject
) -> None:
    lid = build_license_id(*parts)
    other = data.draw(st.sampled_from(_ALNUM).filter(lambda c: c != lid[-1]))
    with pytest.raises(LicenseIdError) as info:
        parse_license_id(lid[:-1] + other)
    assert info.value.code == "LICENSE_ID_CHECK_CHAR"
