"""Check-character algorithms for the identifier codes that appear in the catalog.

Catalog records carry three kinds of identifiers whose last character is a check
character computed from the rest:

* 统一社会信用代码 (unified social credit code, USCC), GB 32100-2015;
* 公民身份号码 (citizen ID number), GB 11643-1999;
* ISO 7064 MOD 37,36 (hybrid system), used for the check character of
  证照标识 (licence identifiers) in GB/T 36903.

Validating them at the boundary catches typing and transcription errors before
bad keys are stored or joined on.  Everything here is pure and stdlib-only so it
can be used from any layer (ingest, API, CLI) without pulling in dependencies.

Errors are raised as :class:`CodeError`, which carries a stable machine-readable
``reason`` and bilingual messages that say what is wrong and how to fix it.
Citizen ID numbers are personal data, so errors about them never contain the
number, any part of it, or the expected check character -- in fact their
messages contain no ASCII digits at all, which keeps that guarantee easy to
audit.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from typing import Final, Literal

__all__ = [
    "CodeError",
    "CodeKind",
    "CodeReason",
    "citizen_id_check_char",
    "is_valid_mod37_36",
    "make_citizen_id",
    "make_uscc",
    "mod37_36_check_char",
    "uscc_check_char",
    "validate_citizen_id",
    "validate_uscc",
]

CodeKind = Literal["uscc", "citizen_id", "mod37_36"]
CodeReason = Literal["length", "alphabet", "check_char", "birth_date"]

# --------------------------------------------------------------------------- tables

# Only ASCII letters are upper-cased: ``str.upper`` would map e.g. "ı" to "I" or
# "ß" to "SS" and let non-ASCII look-alikes slip through as valid characters.
_ASCII_UPPER: Final = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_DIGITS: Final = frozenset(string.digits)

# GB 32100-2015: digits and upper-case letters except I, O, Z, S, V.
_USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final = {c: i for i, c in enumerate(_USCC_ALPHABET)}
# Weights 3^i mod 31: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28.
_USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
_USCC_LEN: Final = 18

# GB 11714-1997 organization code (positions 9-17 of a USCC): 8 body characters
# (digits / upper-case letters, valued 0-35) and a check character.
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_LEN: Final = 8
_USCC_MAX_SEQ: Final = len(_USCC_ALPHABET) ** _ORG_BODY_LEN

# GB 11643-1999: the weight of the k-th character (k = 0..16 from the left) is 2^(17-k)
# mod 11, i.e. 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2.
_CID_WEIGHTS: Final = tuple(pow(2, 17 - k, 11) for k in range(17))
_CID_CHECK_CHARS: Final = "0123456789X"
_CID_LEN: Final = 18
_CID_MIN_BIRTH: Final = date(1900, 1, 1)
_CID_MAX_SEQ: Final = 500  # three-digit order code, last digit's parity is the gender

# ISO 7064 MOD 37,36: alphanumeric "pure" alphabet, M = 36, M + 1 = 37 (prime).
_MOD36_ALPHABET: Final = string.digits + string.ascii_uppercase
_MOD36_VALUES: Final = {c: i for i, c in enumerate(_MOD36_ALPHABET)}
_MOD36_M: Final = 36


# --------------------------------------------------------------------------- errors


class CodeError(ValueError):
    """A code failed validation.

    Why a dedicated type: callers (API handlers, ingest reports) need a stable
    ``reason`` to branch on and ready-made Chinese/English messages to show,
    instead of parsing exception text.

    Attributes:
        kind: which code family failed ("uscc", "citizen_id", "mod37_36").
        reason: stable machine code ("length", "alphabet", "check_char", "birth_date").
        message: Chinese message saying what is wrong and how to fix it.
        message_en: the same in English.

    ``str(err)`` and ``err.args`` hold ``message_en`` only (as for
    ``catalog.problems.Problem``, so logs stay English).  For ``kind ==
    "citizen_id"`` none of these (nor ``repr(err)``) contain the ID number or any
    part of it.
    """

    kind: CodeKind
    reason: CodeReason
    message: str
    message_en: str

    def __init__(self, kind: CodeKind, reason: CodeReason, message: str, message_en: str) -> None:
        """Store the structured fields; ``args`` holds only the English message."""
        super().__init__(message_en)
        self.kind = kind
        self.reason = reason
        self.message = message
        self.message_en = message_en

    def __str__(self) -> str:
        """Return the English message, the language of logs (show ``message`` to users)."""
        return self.message_en

    def __repr__(self) -> str:
        """Show all structured fields (never the input value) for logs and debugging."""
        return (
            f"CodeError(kind={self.kind!r}, reason={self.reason!r}, "
            f"message={self.message!r}, message_en={self.message_en!r})"
        )

    def __reduce__(self) -> tuple[type[CodeError], tuple[str, str, str, str]]:
        """Make the error picklable (e.g. across process pools) despite the custom init."""
        return (type(self), (self.kind, self.reason, self.message, self.message_en))


def _show_char(ch: str) -> str:
    """Render an offending character safely inside a message (control chars as U+XXXX)."""
    return ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def _require_str(value: object, name: str) -> str:
    """Reject non-str input with a TypeError that names the type but never echoes the value."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- USCC

_USCC_ZH: Final = "统一社会信用代码"
_USCC_EN: Final = "Unified social credit code"
_USCC_BODY_ZH: Final = "统一社会信用代码前 17 位（不含校验位）"
_USCC_BODY_EN: Final = (
    "Unified social credit code body (first 17 characters, without check character)"
)
# Letters excluded from the USCC alphabet and the digit they are usually a typo for.
_USCC_LOOKALIKES: Final = {"O": "0", "I": "1", "Z": "2", "S": "5"}


def _uscc_require(chars: str, length: int, what_zh: str, what_en: str) -> None:
    """Raise a USCC ``length``/``alphabet`` error unless ``chars`` has the right shape."""
    if len(chars) != length:
        raise CodeError(
            "uscc",
            "length",
            f"{what_zh}应为 {length} 位，当前为 {len(chars)} 位，请核对后重新输入",
            f"{what_en} must be {length} characters long (got {len(chars)}); "
            "please re-check the code",
        )
    for pos, ch in enumerate(chars, start=1):
        if ch not in _USCC_VALUES:
            shown = _show_char(ch)
            hint_zh = hint_en = ""
            if ch in _USCC_LOOKALIKES:
                digit = _USCC_LOOKALIKES[ch]
                hint_zh = f"（字母 {ch} 可能是数字 {digit} 的误写）"
                hint_en = f" (letter {ch} may be a mistyped digit {digit})"
            raise CodeError(
                "uscc",
                "alphabet",
                f"{what_zh}第 {pos} 位字符“{shown}”无效：只能使用数字和除 I、O、Z、S、V 以外的"
                f"大写字母{hint_zh}，请核对后重新输入",
                f"{what_en} has an invalid character {shown!r} at position {pos}: only digits "
                f"and upper-case letters other than I, O, Z, S, V are allowed{hint_en}; "
                "please re-check the code",
            )


def _uscc_compute(body17: str) -> str:
    """Compute the GB 32100 check character of an already-checked 17-character body."""
    total = sum(_USCC_VALUES[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _org_check_char(body8: str) -> str:
    """Compute the GB 11714 organization-code check character of an 8-character body."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(body17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC.

    Why: validation needs it, fixture builders need it, and a form can use it to
    tell a user which check character their first 17 characters imply.  Lower-case
    ASCII letters are accepted; surrounding whitespace is *not* stripped.

    Raises:
        CodeError: ``reason`` "length" (not exactly 17 characters) or "alphabet".
    """
    body = _require_str(body17, "body17").translate(_ASCII_UPPER)
    _uscc_require(body, 17, _USCC_BODY_ZH, _USCC_BODY_EN)
    return _uscc_compute(body)


def validate_uscc(code: str) -> str:
    """Validate a unified social credit code and return it normalized (stripped, upper-case).

    Why: USCCs are the key that links organizations across catalog data sets; a
    mistyped code would silently split or mis-join records, so it is rejected at
    the boundary.  Only the GB 32100 check character is verified: the embedded
    GB 11714 organization-code check (positions 9-17) is deliberately *not*
    enforced, because genuine codes with non-standard embedded organization codes
    exist and must still be accepted.

    Raises:
        CodeError: ``reason`` "length", "alphabet" or "check_char".  A
        "check_char" message names the check character the first 17 characters
        imply (USCCs identify organizations, not people, so this is not sensitive).
    """
    normalized = _require_str(code, "code").strip().translate(_ASCII_UPPER)
    _uscc_require(normalized, _USCC_LEN, _USCC_ZH, _USCC_EN)
    expected = _uscc_compute(normalized[:17])
    if normalized[17] != expected:
        raise CodeError(
            "uscc",
            "check_char",
            f"统一社会信用代码校验位错误：按前 17 位计算应为 {expected}，请核对整串代码后重新输入",
            f"Unified social credit code check character is wrong: expected {expected} from "
            "the first 17 characters; please re-check the whole code",
        )
    return normalized


def make_uscc(
    *,
    registration_dept: str = "1",
    org_type: str = "1",
    region: str = "350200",
    seq: int,
) -> str:
    """Deterministically build a valid USCC, distinct for each ``seq``.

    Why: tests, fixtures and demo data need realistic codes that pass
    :func:`validate_uscc` without copying real organizations' codes.  The
    embedded organization code (positions 9-17) is also valid under GB 11714:
    its 8-character body is ``seq`` written in base 31 over the USCC alphabet
    (zero-padded), followed by its GB 11714 check character.

    Args:
        registration_dept: position 1 (登记管理部门代码), one USCC-alphabet character.
        org_type: position 2 (机构类别代码), one USCC-alphabet character.
        region: positions 3-8, a six-digit administrative division code
            (default 350200, Xiamen).
        seq: ``0 <= seq < 31**8``.

    Raises:
        ValueError: an argument is out of range (a programming error, hence not
        :class:`CodeError`).
    """
    for name, value in (("registration_dept", registration_dept), ("org_type", org_type)):
        if len(value) != 1 or value not in _USCC_VALUES:
            raise ValueError(f"{name} must be one character of {_USCC_ALPHABET!r}, got {value!r}")
    if len(region) != 6 or not all(c in _DIGITS for c in region):
        raise ValueError(f"region must be six ASCII digits, got {region!r}")
    if isinstance(seq, bool) or not 0 <= seq < _USCC_MAX_SEQ:
        raise ValueError(f"seq must be an int in [0, {_USCC_MAX_SEQ}), got {seq!r}")
    rest = seq
    chars: list[str] = []
    for _ in range(_ORG_BODY_LEN):
        rest, digit = divmod(rest, len(_USCC_ALPHABET))
        chars.append(_USCC_ALPHABET[digit])
    org_body = "".join(reversed(chars))
    body17 = registration_dept + org_type + region + org_body + _org_check_char(org_body)
    return body17 + _uscc_compute(body17)


# --------------------------------------------------------------------------- citizen ID
# Every message below is a constant free of ASCII digits, so no error can ever
# echo (part of) an ID number.  Keep it that way: spell numbers out.

_CID_LENGTH_ZH: Final = "公民身份号码应为十八位，请核对后重新输入"
_CID_LENGTH_EN: Final = (
    "Citizen ID number must be eighteen characters long; please re-check the number"
)
_CID_LEGACY_ZH: Final = "公民身份号码应为十八位：十五位旧号码请先升级为十八位号码后再输入"
_CID_LEGACY_EN: Final = (
    "Citizen ID number must be eighteen characters long: convert a legacy fifteen-digit "
    "number to the eighteen-character form first"
)
_CID_ALPHABET_ZH: Final = (
    "公民身份号码格式错误：前十七位必须是数字，最后一位必须是数字或 X，请核对后重新输入"
)
_CID_ALPHABET_EN: Final = (
    "Citizen ID number format is wrong: the first seventeen characters must be digits and "
    "the last one a digit or X; please re-check the number"
)
_CID_BODY_LENGTH_ZH: Final = "计算校验位需要公民身份号码的前十七位（不含校验位），请核对后重新输入"
_CID_BODY_LENGTH_EN: Final = (
    "Computing the check character needs exactly the first seventeen characters of the "
    "citizen ID number (without the check character); please re-check the input"
)
_CID_BODY_ALPHABET_ZH: Final = "公民身份号码前十七位必须全部是数字，请核对后重新输入"
_CID_BODY_ALPHABET_EN: Final = (
    "The first seventeen characters of a citizen ID number must all be digits; "
    "please re-check the input"
)
_CID_BAD_DATE_ZH: Final = "公民身份号码中的出生日期（第七至十四位）不是有效日期，请核对后重新输入"
_CID_BAD_DATE_EN: Final = (
    "The birth date in the citizen ID number (characters seven to fourteen) is not a real "
    "calendar date; please re-check the number"
)
_CID_EARLY_DATE_ZH: Final = (
    "公民身份号码中的出生日期（第七至十四位）早于一九〇〇年一月一日，请核对后重新输入"
)
_CID_EARLY_DATE_EN: Final = (
    "The birth date in the citizen ID number (characters seven to fourteen) is before "
    "the first of January nineteen hundred; please re-check the number"
)
_CID_FUTURE_DATE_ZH: Final = "公民身份号码中的出生日期（第七至十四位）晚于今天，请核对后重新输入"
_CID_FUTURE_DATE_EN: Final = (
    "The birth date in the citizen ID number (characters seven to fourteen) is in the "
    "future; please re-check the number"
)
_CID_CHECK_ZH: Final = "公民身份号码校验位错误，请核对整个号码后重新输入"
_CID_CHECK_EN: Final = (
    "Citizen ID number check character is wrong; please re-check the whole number"
)


def _cid_compute(body17: str) -> str:
    """Compute the GB 11643 check character of an already-checked 17-digit body."""
    total = sum(int(c) * w for c, w in zip(body17, _CID_WEIGHTS, strict=True))
    return _CID_CHECK_CHARS[(12 - total % 11) % 11]


def _parse_birth(yyyymmdd: str) -> date | None:
    """Return the date for eight ASCII digits, or None if it is not a real date.

    Returning None (instead of raising inside ``except``) keeps the caller's
    CodeError free of an implicit ``__context__`` exception.
    """
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return None


def citizen_id_check_char(body17: str) -> str:
    """Return the GB 11643 check character ("0"-"9" or "X") for a 17-digit body.

    Why: validation needs it and fixture builders need it.  Surrounding
    whitespace is *not* stripped.

    Raises:
        CodeError: ``reason`` "length" or "alphabet"; messages never contain the input.
    """
    body = _require_str(body17, "body17")
    if len(body) != 17:
        raise CodeError("citizen_id", "length", _CID_BODY_LENGTH_ZH, _CID_BODY_LENGTH_EN)
    if not all(c in _DIGITS for c in body):
        raise CodeError("citizen_id", "alphabet", _CID_BODY_ALPHABET_ZH, _CID_BODY_ALPHABET_EN)
    return _cid_compute(body)


def validate_citizen_id(code: str, *, today: date | None = None) -> str:
    """Validate an 18-character citizen ID number and return it normalized.

    Why: ID numbers are keys for personal records, so typos must be caught at the
    boundary -- and, being personal data, they must never leak into error
    messages or logs.  Checks, in order: length, alphabet (17 digits + digit/X),
    birth date (positions 7-14: a real date, not before 1900-01-01, not after
    ``today``), check character.  Normalization strips surrounding whitespace and
    upper-cases a trailing "x".

    Args:
        code: the ID number.
        today: reference date for the "not in the future" check; defaults to
            ``date.today()`` (pass it explicitly for reproducible results).

    Raises:
        CodeError: ``reason`` "length", "alphabet", "birth_date" or "check_char".
        Its messages, ``str()`` and ``repr()`` never contain any part of ``code``
        nor the expected check character.
    """
    normalized = _require_str(code, "code").strip().translate(_ASCII_UPPER)
    if len(normalized) != _CID_LEN:
        if len(normalized) == 15:
            raise CodeError("citizen_id", "length", _CID_LEGACY_ZH, _CID_LEGACY_EN)
        raise CodeError("citizen_id", "length", _CID_LENGTH_ZH, _CID_LENGTH_EN)
    body, check = normalized[:17], normalized[17]
    if not all(c in _DIGITS for c in body) or check not in _CID_CHECK_CHARS:
        raise CodeError("citizen_id", "alphabet", _CID_ALPHABET_ZH, _CID_ALPHABET_EN)
    birth = _parse_birth(body[6:14])
    if birth is None:
        raise CodeError("citizen_id", "birth_date", _CID_BAD_DATE_ZH, _CID_BAD_DATE_EN)
    if birth < _CID_MIN_BIRTH:
        raise CodeError("citizen_id", "birth_date", _CID_EARLY_DATE_ZH, _CID_EARLY_DATE_EN)
    if today is None:
        today = date.today()
    elif isinstance(today, datetime):
        today = today.date()
    if birth > today:
        raise CodeError("citizen_id", "birth_date", _CID_FUTURE_DATE_ZH, _CID_FUTURE_DATE_EN)
    if check != _cid_compute(body):
        raise CodeError("citizen_id", "check_char", _CID_CHECK_ZH, _CID_CHECK_EN)
    return normalized


def make_citizen_id(*, region: str = "350203", birth: date, seq: int, female: bool) -> str:
    """Deterministically build a valid (synthetic) citizen ID number.

    Why: tests and demo data need ID numbers that pass
    :func:`validate_citizen_id` without using real people's numbers.  Positions
    15-17 are the order code ``2 * seq + (0 if female else 1)``, so its last digit
    is odd for men and even for women as GB 11643 requires.

    Args:
        region: six-digit address code (default 350203, Siming District, Xiamen).
        birth: birth date, not before 1900-01-01.  (A future date yields a code
            that :func:`validate_citizen_id` rejects for that ``today``.)
        seq: ``0 <= seq < 500``.
        female: gender encoded in the parity of the order code.

    Raises:
        ValueError: an argument is out of range.  The message never echoes the
        arguments, which may be derived from real personal data.
    """
    if len(region) != 6 or not all(c in _DIGITS for c in region):
        raise ValueError("region must be six ASCII digits")
    if isinstance(birth, datetime):
        birth = birth.date()
    if birth < _CID_MIN_BIRTH:
        raise ValueError("birth must not be before 1900-01-01")
    if isinstance(seq, bool) or not 0 <= seq < _CID_MAX_SEQ:
        raise ValueError(f"seq must be an int in [0, {_CID_MAX_SEQ})")
    order = 2 * seq + (0 if female else 1)
    body17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{order:03d}"
    return body17 + _cid_compute(body17)


# --------------------------------------------------------------------------- ISO 7064 MOD 37,36


def _mod36_values(chars: str) -> list[int]:
    """Map 0-9/A-Z (ASCII, case-insensitive) to 0-35, raising an "alphabet" CodeError."""
    values: list[int] = []
    for pos, ch in enumerate(chars.translate(_ASCII_UPPER), start=1):
        value = _MOD36_VALUES.get(ch)
        if value is None:
            shown = _show_char(ch)
            raise CodeError(
                "mod37_36",
                "alphabet",
                f"第 {pos} 位字符“{shown}”无效：ISO 7064 MOD 37,36 只允许数字 0-9 和字母 A-Z，"
                "请核对后重新输入",
                f"Invalid character {shown!r} at position {pos}: ISO 7064 MOD 37,36 only "
                "allows digits 0-9 and letters A-Z; please re-check the input",
            )
        values.append(value)
    return values


def _mod36_state(values: list[int]) -> int:
    """Run the ISO 7064 hybrid MOD 37,36 recursion and return the final P (1..36).

    P_1 = M; for each character a: S = (P + a) mod M, with 0 replaced by M;
    P = 2 * S mod (M + 1).  M + 1 = 37 is prime, so P is never 0.
    """
    p = _MOD36_M
    for value in values:
        s = (p + value) % _MOD36_M or _MOD36_M
        p = (s * 2) % (_MOD36_M + 1)
    return p


def mod37_36_check_char(body: str) -> str:
    """Return the ISO 7064 MOD 37,36 check character (0-9/A-Z) for ``body``.

    Why: GB/T 36903 证照标识 (licence identifiers) end in this check character;
    catalog tooling needs to verify and generate them.  The check value is the one
    that makes the recursion end with S = 1, i.e. ``(M + 1 - P) mod M``.  Letters
    are case-insensitive (ASCII); whitespace is not stripped.

    Raises:
        CodeError: ``reason`` "length" (empty body) or "alphabet".
    """
    if not _require_str(body, "body"):
        raise CodeError(
            "mod37_36",
            "length",
            "ISO 7064 MOD 37,36 校验位计算需要非空的标识本体（不含校验位），请核对后重新输入",
            "ISO 7064 MOD 37,36 check character needs a non-empty body (the identifier "
            "without its check character); please re-check the input",
        )
    p = _mod36_state(_mod36_values(body))
    return _MOD36_ALPHABET[(_MOD36_M + 1 - p) % _MOD36_M]


def is_valid_mod37_36(code: str) -> bool:
    """Return whether ``code`` (body + check character) passes ISO 7064 MOD 37,36.

    Why: a cheap yes/no test for filtering and data-quality reports, where an
    exception per bad row would be noise.  True iff ``code`` has at least two
    characters, all in 0-9/A-Z (ASCII, case-insensitive), and the hybrid
    recursion over all of them ends with S = 1.  Never raises for str input.
    """
    if not isinstance(code, str) or len(code) < 2:
        return False
    try:
        values = _mod36_values(code)
    except CodeError:
        return False
    return (_mod36_state(values[:-1]) + values[-1]) % _MOD36_M == 1
