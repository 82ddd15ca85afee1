"""证照标识 (e-license identifiers): build and parse them, with their check character.

Every issued e-license carries a 证照标识 (the identifier structure of the e-license standards,
GB/T 36901-36905; the identifier itself is specified in GB/T 36904 "电子证照 标识规范"):

    1.2.156.3005.2 . 证照类型代码 . 颁发机构代码 . 流水号 . 版本号 . 校验位

* root OID ``1.2.156.3005.2`` (fixed);
* 证照类型代码: the 18-character 统一社会信用代码 (USCC) of the body that defined the license type,
  followed by a 3-digit sequence number of the type within that body (21 characters);
* 颁发机构代码: the USCC of the issuing authority (18 characters);
* 流水号: the serial number of this license, decimal digits (1-30 of them);
* 版本号: the version of this license (re-issues bump it), decimal digits (1-6 of them);
* 校验位: one ISO 7064 MOD 37,36 check character (0-9 / A-Z).

The identifier is a key that integrators type, scan and join on, so a wrong one must be a clear
input error at the boundary rather than a silent "not found" later.

Which characters the check character covers (our decision, fixed here and in the tests): the
concatenation of every part before it **without the dots**, root OID included, i.e.
``"1215630052" + type_code + issuer_code + serial + version``. The dots are left out because
ISO 7064 MOD 37,36 is defined over the alphabet 0-9 / A-Z only; the root is kept in so the check
covers every character a person can mistype. Consequence, documented rather than hidden: moving
a dot between the serial and the version ("...123.4.C" vs "...12.34.C") keeps the check
character; every single-character substitution, and every insertion or removal of a dot, is
still detected (the latter by the structure check). The length bounds of the serial and version
are ours (the standard leaves them to the issuer), chosen to keep identifiers bounded.

Letters are accepted in either case and normalized to upper case; surrounding whitespace is
stripped. Errors are :class:`LicenseIdError` with a stable ``code``, the ``part`` that is wrong
and bilingual messages; they never echo the input (it is not personal data, but attacker-chosen
text has no place in logs).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Final, Literal

from catalog.codes import CodeError, mod37_36_check_char, validate_uscc

__all__ = [
    "LICENSE_ID_ROOT",
    "LicenseId",
    "LicenseIdError",
    "LicenseIdErrorCode",
    "LicenseIdPart",
    "build_license_id",
    "license_id_check_char",
    "parse_license_id",
]

LICENSE_ID_ROOT: Final = "1.2.156.3005.2"

LicenseIdPart = Literal[
    "structure", "root", "type_code", "issuer_code", "serial", "version", "check_char"
]
LicenseIdErrorCode = Literal[
    "LICENSE_ID_MALFORMED",
    "LICENSE_ID_ROOT",
    "LICENSE_ID_TYPE_CODE",
    "LICENSE_ID_ISSUER_CODE",
    "LICENSE_ID_SERIAL",
    "LICENSE_ID_VERSION",
    "LICENSE_ID_CHECK_CHAR",
]

_ROOT_PARTS: Final = tuple(LICENSE_ID_ROOT.split("."))
_PART_COUNT: Final = len(_ROOT_PARTS) + 5
_USCC_LEN: Final = 18
_TYPE_SEQ_LEN: Final = 3
_SERIAL_MAX: Final = 30
_VERSION_MAX: Final = 6
_DIGITS: Final = frozenset(string.digits)
_ASCII_UPPER: Final = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)

_NAMES: Final[dict[LicenseIdPart, tuple[str, str]]] = {
    "structure": ("证照标识", "license identifier"),
    "root": ("证照标识根代码", "license identifier root"),
    "type_code": ("证照类型代码", "license type code"),
    "issuer_code": ("颁发机构代码", "issuer code"),
    "serial": ("流水号", "serial number"),
    "version": ("版本号", "version number"),
    "check_char": ("校验位", "check character"),
}
_CODES: Final[dict[LicenseIdPart, LicenseIdErrorCode]] = {
    "structure": "LICENSE_ID_MALFORMED",
    "root": "LICENSE_ID_ROOT",
    "type_code": "LICENSE_ID_TYPE_CODE",
    "issuer_code": "LICENSE_ID_ISSUER_CODE",
    "serial": "LICENSE_ID_SERIAL",
    "version": "LICENSE_ID_VERSION",
    "check_char": "LICENSE_ID_CHECK_CHAR",
}


class LicenseIdError(ValueError):
    """A 证照标识 is malformed or its check character is wrong.

    Why a dedicated type: the API turns it into a ``ValidationProblem`` and bulk import into a
    per-row report, both of which need a stable ``code``, the ``part`` to point at and ready
    Chinese/English messages. ``str(err)`` is the English message (the language of logs).
    """

    code: LicenseIdErrorCode
    part: LicenseIdPart
    message: str
    message_en: str

    def __init__(self, part: LicenseIdPart, detail_zh: str, detail_en: str) -> None:
        """Build the messages from the part's names and a detail that never echoes the input."""
        name_zh, name_en = _NAMES[part]
        self.part = part
        self.code = _CODES[part]
        self.message = f"{name_zh}错误：{detail_zh}，请核对后重新输入"
        self.message_en = f"Invalid {name_en}: {detail_en}; please re-check the identifier"
        super().__init__(self.message_en)

    def __str__(self) -> str:
        """Return the English message (show ``message`` to Chinese-speaking users)."""
        return self.message_en

    def __reduce__(self) -> tuple[object, ...]:
        """Keep the error picklable despite the custom initializer."""
        return (_rebuild_error, (self.part, self.code, self.message, self.message_en))


def _rebuild_error(
    part: LicenseIdPart, code: LicenseIdErrorCode, zh: str, en: str
) -> LicenseIdError:
    """Unpickle a :class:`LicenseIdError` without re-deriving its messages."""
    err = LicenseIdError.__new__(LicenseIdError)
    ValueError.__init__(err, en)
    err.part, err.code, err.message, err.message_en = part, code, zh, en
    return err


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseId:
    """A parsed, valid 证照标识; ``str()`` gives its canonical (upper-case) form.

    Why keep the parts: stores index licenses by type and issuer, and policy facts need the type
    code without re-splitting strings everywhere.
    """

    type_code: str
    issuer_code: str
    serial: str
    version: str
    check_char: str

    @property
    def defining_body_code(self) -> str:
        """The USCC of the body that defined the license type (first 18 chars of the type code)."""
        return self.type_code[:_USCC_LEN]

    @property
    def value(self) -> str:
        """The canonical identifier string."""
        return ".".join(
            (
                LICENSE_ID_ROOT,
                self.type_code,
                self.issuer_code,
                self.serial,
                self.version,
                self.check_char,
            )
        )

    def __str__(self) -> str:
        """Return the canonical identifier string."""
        return self.value


def _check_type_code(raw: str) -> str:
    """Validate and normalize 证照类型代码 (USCC of the defining body + 3 digits)."""
    code = raw.translate(_ASCII_UPPER)
    if len(code) != _USCC_LEN + _TYPE_SEQ_LEN:
        raise LicenseIdError(
            "type_code",
            f"应为 {_USCC_LEN + _TYPE_SEQ_LEN} 位（定义机构的统一社会信用代码 18 位 + 3 位数字），"
            f"当前为 {len(code)} 位",
            f"must be {_USCC_LEN + _TYPE_SEQ_LEN} characters (the defining body's 18-character "
            f"unified social credit code + 3 digits), got {len(code)}",
        )
    uscc, seq = code[:_USCC_LEN], code[_USCC_LEN:]
    try:
        validate_uscc(uscc)
    except CodeError as err:
        raise LicenseIdError(
            "type_code",
            f"前 18 位不是有效的统一社会信用代码（{err.message}）",
            "its first 18 characters are not a valid unified social credit code "
            f"({err.message_en})",
        ) from None
    if not all(c in _DIGITS for c in seq):
        raise LicenseIdError(
            "type_code", "最后 3 位必须是数字", "its last 3 characters must be digits"
        )
    return code


def _check_issuer_code(raw: str) -> str:
    """Validate and normalize 颁发机构代码 (a USCC)."""
    if raw != raw.strip():
        raise LicenseIdError("issuer_code", "不能包含空白字符", "must not contain whitespace")
    try:
        return validate_uscc(raw)
    except CodeError as err:
        raise LicenseIdError(
            "issuer_code",
            f"不是有效的统一社会信用代码（{err.message}）",
            f"not a valid unified social credit code ({err.message_en})",
        ) from None


def _check_digits(raw: str, part: Literal["serial", "version"], max_len: int) -> str:
    """Validate a purely decimal part of bounded length."""
    if not 1 <= len(raw) <= max_len:
        raise LicenseIdError(
            part,
            f"应为 1 至 {max_len} 位数字，当前为 {len(raw)} 位",
            f"must be 1 to {max_len} digits, got {len(raw)} characters",
        )
    if not all(c in _DIGITS for c in raw):
        raise LicenseIdError(part, "只能包含数字 0-9", "must contain only digits 0-9")
    return raw


def _check_body(
    type_code: str, issuer_code: str, serial: str, version: str
) -> tuple[str, str, str, str]:
    """Validate the four variable parts and return them normalized."""
    return (
        _check_type_code(type_code),
        _check_issuer_code(issuer_code),
        _check_digits(serial, "serial", _SERIAL_MAX),
        _check_digits(version, "version", _VERSION_MAX),
    )


def license_id_check_char(type_code: str, issuer_code: str, serial: str, version: str) -> str:
    """Return the ISO 7064 MOD 37,36 check character of an identifier with these parts.

    Why separate from :func:`build_license_id`: a form can show the expected check character,
    and tests pin the exact characters it covers: ``"1215630052" + type_code + issuer_code +
    serial + version`` (no dots; see the module docstring). Parts must already be valid.
    """
    body = "".join(_ROOT_PARTS) + type_code + issuer_code + serial + version
    return mod37_36_check_char(body)


def build_license_id(
    type_code: str, issuer_code: str, serial: str | int, version: str | int
) -> str:
    """Build the canonical 证照标识 for a newly issued license, check character included.

    Why: issuing departments supply the parts, the hub computes the check character, so no
    identifier it hands out can fail its own validation. ``serial``/``version`` given as ints are
    written without padding; given as strings they are kept as they are (leading zeros too).

    Raises:
        LicenseIdError: a part is invalid (``part`` names it).
        TypeError: an argument has the wrong type.
    """
    serial_s = _digits_arg(serial, "serial")
    version_s = _digits_arg(version, "version")
    if not isinstance(type_code, str) or not isinstance(issuer_code, str):
        raise TypeError("type_code and issuer_code must be str")
    parts = _check_body(type_code.strip(), issuer_code.strip(), serial_s.strip(), version_s.strip())
    return ".".join((LICENSE_ID_ROOT, *parts, license_id_check_char(*parts)))


def _digits_arg(value: str | int, name: str) -> str:
    """Turn a serial/version argument into its string form (a negative int fails as non-digit)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be str or int, not bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be str or int, not {type(value).__name__}")


def parse_license_id(s: str) -> LicenseId:
    """Parse and validate a 证照标识, returning its parts in canonical form.

    Why: every identifier that enters the hub (issuance, bulk import, licensed calls, offline
    verification) goes through here, so a typo is reported as exactly which part is wrong.
    Checks, in order: structure (10 dot-separated parts), root OID, 证照类型代码, 颁发机构代码,
    流水号, 版本号, and finally the check character.

    Raises:
        LicenseIdError: the identifier is invalid; ``code`` and ``part`` say where.
        TypeError: ``s`` is not a str.
    """
    if not isinstance(s, str):
        raise TypeError(f"license identifier must be str, not {type(s).__name__}")
    parts = s.strip().translate(_ASCII_UPPER).split(".")
    if len(parts) != _PART_COUNT:
        raise LicenseIdError(
            "structure",
            f"应由 {_PART_COUNT} 段以“.”分隔的部分组成（根代码 5 段 + 证照类型代码、颁发机构代码、"
            f"流水号、版本号、校验位），当前为 {len(parts)} 段",
            f"must have {_PART_COUNT} dot-separated parts (5 for the root, then type code, issuer "
            f"code, serial, version, check character), got {len(parts)}",
        )
    if tuple(parts[: len(_ROOT_PARTS)]) != _ROOT_PARTS:
        raise LicenseIdError(
            "root", f"必须以 {LICENSE_ID_ROOT} 开头", f"must start with {LICENSE_ID_ROOT}"
        )
    type_code, issuer_code, serial, version, check = parts[len(_ROOT_PARTS) :]
    body = _check_body(type_code, issuer_code, serial, version)
    if len(check) != 1:
        raise LicenseIdError(
            "check_char",
            f"应为 1 个字符（数字或字母），当前为 {len(check)} 个",
            f"must be exactly one character (digit or letter), got {len(check)}",
        )
    if check != license_id_check_char(*body):
        raise LicenseIdError(
            "check_char",
            "与前面各部分按 ISO 7064 MOD 37,36 计算的结果不符，标识中可能有输入错误",
            "does not match the ISO 7064 MOD 37,36 check of the preceding parts; "
            "the identifier probably contains a typo",
        )
    return LicenseId(
        type_code=body[0], issuer_code=body[1], serial=body[2], version=body[3], check_char=check
    )
