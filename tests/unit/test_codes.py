"""Tests for catalog.codes: check-character algorithms, normalization and error hygiene.

Where possible the expected check characters come from an *independent* formulation of
each algorithm written here (Horner evaluation, the base-13 trick for GB 11643, the
"start at M/2" form of ISO 7064), so the tests do not just restate the implementation.
"""

from __future__ import annotations

import itertools
import pickle
import string
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.codes import (
    CodeError,
    citizen_id_check_char,
    is_valid_mod37_36,
    make_citizen_id,
    make_uscc,
    mod37_36_check_char,
    uscc_check_char,
    validate_citizen_id,
    validate_uscc,
)

# Deterministic and fast: fixed seed, no example database, no per-example deadline.
DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOD36_ALPHABET = string.digits + string.ascii_uppercase
TODAY = date(2025, 6, 30)
ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)

# Real codes, each verified three ways: with this module, independently with python-stdnum
# (stdnum.cn.uscc), and by the GB 11714 check of the embedded organization code.
KNOWN_USCCS = [
    "91350200MA33GULG91",  # Xiamen-registered enterprise
    "91350200072829926E",  # Xiamen-registered enterprise
    "91350200761740855U",  # Xiamen-registered enterprise
    "91110000600037341L",  # example from python-stdnum's documentation
    "91110000802100433B",  # Beijing-registered enterprise
]
# GB 11643-1999's own example (a fictitious person).
STANDARD_CITIZEN_ID = "11010519491231002X"


# --------------------------------------------------------------------------- oracles


def oracle_uscc_check(body17: str) -> str:
    """GB 32100 via Horner: sum(v_i * 3^i) mod 31, check = -sum mod 31."""
    total = 0
    for ch in reversed(body17):
        total = (total * 3 + USCC_ALPHABET.index(ch)) % 31
    return USCC_ALPHABET[-total % 31]


def oracle_org_check(body8: str) -> str:
    """GB 11714: weights 3,7,9,10,5,8,4,2; 11 - sum mod 11; 10 -> X, 11 -> 0."""
    total = sum(
        MOD36_ALPHABET.index(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def oracle_citizen_check(body17: str) -> str:
    """GB 11643: 13 = 2 (mod 11), so the weighted sum is 2 * int(body, 13) (mod 11)."""
    value = (1 - 2 * int(body17, 13)) % 11
    return "X" if value == 10 else str(value)


def oracle_mod37_36_valid(code: str) -> bool:
    """ISO 7064 hybrid MOD 37,36 in the 'start at M/2, double-then-add' form."""
    m, check = 36, 18
    for ch in code:
        check = (((check or m) * 2) % (m + 1) + MOD36_ALPHABET.index(ch)) % m
    return check == 1


def assert_no_personal_data(err: CodeError) -> None:
    """A citizen-ID error must not reveal any digit of the number (its messages have none)."""
    assert err.kind == "citizen_id"
    texts = [str(err), repr(err), err.message, err.message_en, *map(str, err.args)]
    for text in texts:
        assert not any(ch in string.digits for ch in text), text
    # No implicit exception chain (e.g. a ValueError from date()) that could carry data,
    # and no extra attribute holding the input.
    assert err.__cause__ is None
    assert err.__context__ is None
    assert set(vars(err)) == {"kind", "reason", "message", "message_en"}
    if err.reason == "check_char":
        assert "X" not in err.message
        assert "X" not in err.message_en


def substitute(code: str, pos: int, ch: str) -> str:
    return code[:pos] + ch + code[pos + 1 :]


# --------------------------------------------------------------------------- strategies

uscc_seqs = st.integers(min_value=0, max_value=31**8 - 1)
usccs = st.builds(
    lambda dept, org_type, region, seq: make_uscc(
        registration_dept=dept, org_type=org_type, region=region, seq=seq
    ),
    st.sampled_from(USCC_ALPHABET),
    st.sampled_from(USCC_ALPHABET),
    st.text(string.digits, min_size=6, max_size=6),
    uscc_seqs,
)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
citizen_ids = st.builds(
    lambda region, birth, seq, female: make_citizen_id(
        region=region, birth=birth, seq=seq, female=female
    ),
    st.text(string.digits, min_size=6, max_size=6),
    births,
    st.integers(min_value=0, max_value=499),
    st.booleans(),
)
mod36_bodies = st.text(MOD36_ALPHABET, min_size=1, max_size=40)


# --------------------------------------------------------------------------- USCC


@pytest.mark.parametrize("code", KNOWN_USCCS)
def test_known_uscc_is_valid(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17] == oracle_uscc_check(code[:17])
    assert oracle_org_check(code[8:16]) == code[16]


@pytest.mark.parametrize("code", KNOWN_USCCS)
def test_uscc_is_normalized(code: str) -> None:
    assert validate_uscc(f"  {code.lower()}\n") == code
    assert validate_uscc(f"\u3000{code}\t") == code  # ideographic space from Chinese IMEs
    assert uscc_check_char(code[:17].lower()) == code[17]


def test_uscc_embedded_org_code_check_is_not_enforced() -> None:
    org_body = "MA33GULG"
    wrong_org_check = "0" if oracle_org_check(org_body) != "0" else "1"
    body17 = "91350200" + org_body + wrong_org_check
    code = body17 + oracle_uscc_check(body17)
    assert oracle_org_check(code[8:16]) != code[16]
    assert validate_uscc(code) == code


def test_uscc_check_char_error_names_expected_char() -> None:
    code = KNOWN_USCCS[0]
    wrong = substitute(code, 17, "0" if code[17] != "0" else "1")
    with pytest.raises(CodeError) as info:
        validate_uscc(wrong)
    err = info.value
    assert (err.kind, err.reason) == ("uscc", "check_char")
    assert f"应为 {code[17]}" in err.message
    assert f"expected {code[17]}" in err.message_en
    assert str(err) == err.message_en


@pytest.mark.parametrize("code", ["", "9", "91350200MA33GULG9", "91350200MA33GULG911", " " * 18])
def test_uscc_wrong_length(code: str) -> None:
    with pytest.raises(CodeError) as info:
        validate_uscc(code)
    assert (info.value.kind, info.value.reason) == ("uscc", "length")
    assert "18" in info.value.message
    assert "18" in info.value.message_en


@pytest.mark.parametrize(
    ("code", "position", "hint"),
    [
        ("91350200MA33GOLG91", 14, "数字 0"),  # letter O instead of digit 0
        ("91350200MA33GULI91", 16, "数字 1"),
        ("9135020OMA33GULG91", 8, "数字 0"),
        ("91350200MA33GVLG91", 14, ""),
        ("91350200MA33G-LG91", 14, ""),
        ("９1350200MA33GULG91", 1, ""),  # full-width digit nine
        ("91350200MA33GULG9\u0131", 18, ""),  # dotless i must not be upper-cased to I
    ],
)
def test_uscc_wrong_alphabet(code: str, position: int, hint: str) -> None:
    with pytest.raises(CodeError) as info:
        validate_uscc(code)
    err = info.value
    assert (err.kind, err.reason) == ("uscc", "alphabet")
    assert f"第 {position} 位" in err.message
    assert f"position {position}" in err.message_en
    assert hint in err.message


def test_uscc_control_character_is_shown_as_code_point() -> None:
    with pytest.raises(CodeError) as info:
        validate_uscc("91350200MA33G\x00LG91")
    assert "U+0000" in info.value.message
    assert "\x00" not in info.value.message


@pytest.mark.parametrize(
    ("body", "reason"), [("9135020", "length"), ("91350200MA33GOLG9", "alphabet")]
)
def test_uscc_check_char_rejects_bad_body(body: str, reason: str) -> None:
    with pytest.raises(CodeError) as info:
        uscc_check_char(body)
    assert (info.value.kind, info.value.reason) == ("uscc", reason)


@DETERMINISTIC
@given(
    dept=st.sampled_from(USCC_ALPHABET),
    org_type=st.sampled_from(USCC_ALPHABET),
    region=st.text(string.digits, min_size=6, max_size=6),
    seq=uscc_seqs,
)
def test_generated_uscc_is_valid(dept: str, org_type: str, region: str, seq: int) -> None:
    code = make_uscc(registration_dept=dept, org_type=org_type, region=region, seq=seq)
    assert validate_uscc(code) == code
    assert code[:8] == dept + org_type + region
    assert code[17] == oracle_uscc_check(code[:17])
    assert code[16] == oracle_org_check(code[8:16])  # embedded org code is valid too
    assert make_uscc(registration_dept=dept, org_type=org_type, region=region, seq=seq) == code


@DETERMINISTIC
@given(seqs=st.lists(uscc_seqs, min_size=2, max_size=2, unique=True))
def test_generated_uscc_is_distinct_per_seq(seqs: list[int]) -> None:
    assert make_uscc(seq=seqs[0]) != make_uscc(seq=seqs[1])


def test_generated_uscc_defaults() -> None:
    assert make_uscc(seq=0) == "11350200000000000Y"
    assert validate_uscc(make_uscc(seq=31**8 - 1))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seq": -1},
        {"seq": 31**8},
        {"seq": True},
        {"seq": 1, "registration_dept": "I"},
        {"seq": 1, "registration_dept": "91"},
        {"seq": 1, "org_type": ""},
        {"seq": 1, "region": "35020"},
        {"seq": 1, "region": "35020A"},
    ],
)
def test_make_uscc_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be") as info:
        make_uscc(**kwargs)  # type: ignore[arg-type]
    assert not isinstance(info.value, CodeError)


@DETERMINISTIC
@given(code=usccs, pos=st.integers(0, 17), ch=st.sampled_from(USCC_ALPHABET))
def test_uscc_single_substitution_in_alphabet_is_detected(code: str, pos: int, ch: str) -> None:
    if code[pos] == ch:
        return
    with pytest.raises(CodeError) as info:
        validate_uscc(substitute(code, pos, ch))
    assert info.value.reason == "check_char"


@DETERMINISTIC
@given(code=usccs, pos=st.integers(0, 17), ch=st.characters())
def test_uscc_any_single_substitution_is_rejected(code: str, pos: int, ch: str) -> None:
    mutated = substitute(code, pos, ch)
    if mutated.strip().translate(ASCII_UPPER) == code:  # e.g. the same letter in lower case
        return
    with pytest.raises(CodeError):
        validate_uscc(mutated)


# --------------------------------------------------------------------------- citizen ID


def test_standard_citizen_id_example_is_valid() -> None:
    assert validate_citizen_id(STANDARD_CITIZEN_ID, today=TODAY) == STANDARD_CITIZEN_ID
    assert citizen_id_check_char(STANDARD_CITIZEN_ID[:17]) == "X"
    assert oracle_citizen_check(STANDARD_CITIZEN_ID[:17]) == "X"


def test_citizen_id_is_normalized() -> None:
    lower = STANDARD_CITIZEN_ID.lower()
    assert lower.endswith("x")
    assert validate_citizen_id(f" {lower}\n", today=TODAY) == STANDARD_CITIZEN_ID
    assert validate_citizen_id(STANDARD_CITIZEN_ID) == STANDARD_CITIZEN_ID  # default today


def test_citizen_id_weights_match_gb_11643() -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for k, weight in enumerate(weights):
        body = substitute("0" * 17, k, "1")
        assert citizen_id_check_char(body) == "0123456789X"[(12 - weight) % 11]


def citizen_error(code: str, *, today: date | None = TODAY) -> CodeError:
    with pytest.raises(CodeError) as info:
        validate_citizen_id(code, today=today)
    assert_no_personal_data(info.value)
    return info.value


def with_check(body17: str) -> str:
    return body17 + oracle_citizen_check(body17)


@pytest.mark.parametrize(
    "code", ["", "1101051949123100", "11010519491231002", "11010519491231002X1", "1" * 30]
)
def test_citizen_id_wrong_length(code: str) -> None:
    assert citizen_error(code).reason == "length"


def test_citizen_id_legacy_fifteen_digit_hint() -> None:
    err = citizen_error("110105491231002")
    assert err.reason == "length"
    assert "十五位" in err.message
    assert "fifteen" in err.message_en


@pytest.mark.parametrize(
    "code",
    [
        "1101051949123100AX",
        "X10105194912310021",
        "11010519491231002Y",
        "１1010519491231002X",  # full-width digit one
        "110105194912310０2X",
        "11010519491231002\u0445",  # Cyrillic small ha looks like x
    ],
)
def test_citizen_id_wrong_alphabet(code: str) -> None:
    assert citizen_error(code).reason == "alphabet"


@pytest.mark.parametrize(
    ("birth", "fragment"),
    [
        ("19491331", "不是有效日期"),  # month 13
        ("19490230", "不是有效日期"),  # 30 February
        ("19000229", "不是有效日期"),  # 1900 was not a leap year
        ("00000101", "不是有效日期"),  # year zero
        ("18991231", "早于"),
        ("20250701", "晚于今天"),  # the day after TODAY
    ],
)
def test_citizen_id_bad_birth_date(birth: str, fragment: str) -> None:
    err = citizen_error(with_check("110105" + birth + "002"))
    assert err.reason == "birth_date"
    assert fragment in err.message


def test_citizen_id_birth_date_boundaries() -> None:
    for birth in ("19000101", "20250630", "20000229"):
        code = with_check("350203" + birth + "123")
        assert validate_citizen_id(code, today=TODAY) == code
    code = with_check("350203" + "20250630" + "123")
    assert validate_citizen_id(code, today=datetime(2025, 6, 30, 0, 0)) == code


def test_citizen_id_future_birth_rejected_with_default_today() -> None:
    err = citizen_error(with_check("350203" + "29991231" + "123"), today=None)
    assert err.reason == "birth_date"


def test_citizen_id_wrong_check_char() -> None:
    err = citizen_error("110105194912310021")
    assert err.reason == "check_char"


@pytest.mark.parametrize(
    ("body", "reason"), [("1101051949123100", "length"), ("1101051949123100X", "alphabet")]
)
def test_citizen_id_check_char_rejects_bad_body(body: str, reason: str) -> None:
    with pytest.raises(CodeError) as info:
        citizen_id_check_char(body)
    assert info.value.reason == reason
    assert_no_personal_data(info.value)


@DETERMINISTIC
@given(
    region=st.text(string.digits, min_size=6, max_size=6),
    birth=births,
    seq=st.integers(min_value=0, max_value=499),
    female=st.booleans(),
)
def test_generated_citizen_id_is_valid(region: str, birth: date, seq: int, female: bool) -> None:
    code = make_citizen_id(region=region, birth=birth, seq=seq, female=female)
    assert validate_citizen_id(code, today=TODAY) == code
    assert code[:6] == region
    assert code[6:14] == birth.strftime("%Y%m%d")
    assert int(code[16]) % 2 == (0 if female else 1)  # odd = male
    assert code[17] == oracle_citizen_check(code[:17])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seq": 500},
        {"seq": -1},
        {"seq": False},
        {"seq": 1, "region": "3502"},
        {"seq": 1, "region": "35020a"},
        {"seq": 1, "birth": date(1899, 12, 31)},
    ],
)
def test_make_citizen_id_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"birth": date(1990, 1, 1), "female": False, **kwargs}
    with pytest.raises(ValueError, match="must") as info:
        make_citizen_id(**args)  # type: ignore[arg-type]
    assert not isinstance(info.value, CodeError)


@DETERMINISTIC
@given(code=citizen_ids, pos=st.integers(0, 17), ch=st.sampled_from("0123456789X"))
def test_citizen_id_single_substitution_is_detected(code: str, pos: int, ch: str) -> None:
    if code[pos] == ch:
        return
    with pytest.raises(CodeError) as info:
        validate_citizen_id(substitute(code, pos, ch), today=TODAY)
    assert_no_personal_data(info.value)


@st.composite
def damaged_citizen_ids(draw: st.DrawFn) -> str:
    """Valid IDs broken in typical ways, plus arbitrary text."""
    code = draw(citizen_ids)
    how = draw(st.sampled_from(["substitute", "delete", "insert", "swap", "date", "text"]))
    pos = draw(st.integers(0, 17))
    if how == "substitute":
        return substitute(code, pos, draw(st.characters()))
    if how == "delete":
        return code[:pos] + code[pos + 1 :]
    if how == "insert":
        return code[:pos] + draw(st.sampled_from(string.digits + "Xx")) + code[pos:]
    if how == "swap":
        return code[:pos] + code[pos + 1 : pos + 2] + code[pos : pos + 1] + code[pos + 2 :]
    if how == "date":
        return with_check(code[:6] + draw(st.text(string.digits, min_size=8, max_size=8)) + "001")
    return draw(st.text(string.digits + "Xx \t", max_size=25) | st.text(max_size=25))


@settings(DETERMINISTIC, max_examples=300)
@given(code=damaged_citizen_ids())
def test_citizen_id_errors_never_contain_the_number(code: str) -> None:
    calls: tuple[Callable[[], str], ...] = (
        lambda: validate_citizen_id(code, today=TODAY),
        lambda: citizen_id_check_char(code[:17]),
    )
    for call in calls:
        try:
            call()
        except CodeError as err:
            assert_no_personal_data(err)


# --------------------------------------------------------------------------- ISO 7064 MOD 37,36


def test_mod37_36_known_vector() -> None:
    # Example from python-stdnum's stdnum.iso7064.mod_37_36 documentation.
    assert mod37_36_check_char("A12425GABC1234002") == "M"
    assert is_valid_mod37_36("A12425GABC1234002M")
    assert is_valid_mod37_36("a12425gabc1234002m")  # case-insensitive
    assert not is_valid_mod37_36("A12425GABC1234002N")


def test_mod37_36_check_value_formula() -> None:
    # Single-character bodies: P = 2 * (a or 36) mod 37, check = (37 - P) mod 36.
    for value, ch in enumerate(MOD36_ALPHABET):
        p = (2 * (value or 36)) % 37
        assert mod37_36_check_char(ch) == MOD36_ALPHABET[(37 - p) % 36]


@DETERMINISTIC
@given(body=mod36_bodies)
def test_mod37_36_check_char_makes_code_valid(body: str) -> None:
    check = mod37_36_check_char(body)
    assert check in MOD36_ALPHABET
    assert is_valid_mod37_36(body + check)
    assert oracle_mod37_36_valid(body + check)
    assert mod37_36_check_char(body.lower()) == check
    # The check character is unique.
    assert [c for c in MOD36_ALPHABET if is_valid_mod37_36(body + c)] == [check]


@DETERMINISTIC
@given(code=st.text(MOD36_ALPHABET, min_size=2, max_size=40))
def test_mod37_36_validity_matches_oracle(code: str) -> None:
    assert is_valid_mod37_36(code) == oracle_mod37_36_valid(code)


@DETERMINISTIC
@given(body=mod36_bodies, data=st.data())
def test_mod37_36_detects_every_single_substitution(body: str, data: st.DataObject) -> None:
    code = body + mod37_36_check_char(body)
    pos = data.draw(st.integers(0, len(code) - 1))
    for ch in MOD36_ALPHABET:
        if ch != code[pos]:
            assert not is_valid_mod37_36(substitute(code, pos, ch))


def test_mod37_36_detects_most_adjacent_transpositions() -> None:
    # Exhaustive over all two-character bodies: every adjacent swap of distinct characters,
    # including the swap of the last body character with the check character.
    total = detected = 0
    for body in map("".join, itertools.product(MOD36_ALPHABET, repeat=2)):
        code = body + mod37_36_check_char(body)
        for pos in range(len(code) - 1):
            if code[pos] != code[pos + 1]:
                total += 1
                swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
                detected += not is_valid_mod37_36(swapped)
    assert total > 2000
    assert detected / total > 0.99


@pytest.mark.parametrize("code", ["", "1", "A1-", "A12425GABC1234002M ", "A1２"])
def test_mod37_36_invalid_inputs(code: str) -> None:
    assert not is_valid_mod37_36(code)


def test_mod37_36_non_ascii_lookalike_is_not_upper_cased() -> None:
    code = "I" + mod37_36_check_char("I")
    assert is_valid_mod37_36(code)
    assert is_valid_mod37_36(code.lower())
    assert not is_valid_mod37_36("\u0131" + code[1:])  # dotless i would upper-case to I
    with pytest.raises(CodeError) as info:
        mod37_36_check_char("\u0131")
    assert info.value.reason == "alphabet"


def test_mod37_36_check_char_errors() -> None:
    with pytest.raises(CodeError) as info:
        mod37_36_check_char("")
    assert (info.value.kind, info.value.reason) == ("mod37_36", "length")
    with pytest.raises(CodeError) as info:
        mod37_36_check_char("AB-1")
    assert (info.value.kind, info.value.reason) == ("mod37_36", "alphabet")
    assert "第 3 位" in info.value.message
    assert "position 3" in info.value.message_en


# --------------------------------------------------------------------------- CodeError


def test_code_error_fields_str_repr_and_pickle() -> None:
    err = CodeError("uscc", "length", "中文", "English")
    assert isinstance(err, ValueError)
    assert (err.kind, err.reason, err.message, err.message_en) == (
        "uscc",
        "length",
        "中文",
        "English",
    )
    assert str(err) == "English"
    assert err.args == ("English",)
    assert repr(err) == (
        "CodeError(kind='uscc', reason='length', message='中文', message_en='English')"
    )
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - round-trips our own object
    assert type(copy) is CodeError
    assert (copy.kind, copy.reason, copy.message, copy.message_en) == (
        err.kind,
        err.reason,
        err.message,
        err.message_en,
    )


@pytest.mark.parametrize(
    "call",
    [
        validate_uscc,
        uscc_check_char,
        validate_citizen_id,
        citizen_id_check_char,
        mod37_36_check_char,
    ],
)
def test_non_str_input_is_a_type_error(call: Callable[[Any], object]) -> None:
    with pytest.raises(TypeError) as info:
        call(11010519491231002)
    assert "11010519491231002" not in str(info.value)
    assert not is_valid_mod37_36(123)  # type: ignore[arg-type]
