"""Personal fields at rest: AES-256-GCM ciphertext strings and a keyed blind index.

Why: issued e-licenses hold holders' names, ID numbers and 照面 fields. A copy of the database
(a backup, a replica, a curious administrator) must reveal none of them, yet the hub must find
"all licenses of this holder" and keep working across key rotations.

Ciphertext string (what the records store)::

    v1.<kid>.<base64url nonce>.<base64url ciphertext+tag>

* AES-256-GCM with a fresh random 96-bit nonce per value (2^32 values per key keep the nonce
  collision risk negligible; rotate data keys long before that);
* associated data binds the ciphertext to where it is stored, so a value copied into another
  row, table or column fails to decrypt instead of silently showing the wrong person's data:
  ``["irs-field", "v1", kid, table, record_id, field]`` as compact UTF-8 JSON (unambiguous,
  unlike plain concatenation); the version and kid are inside too, so the header cannot be
  altered either;
* ``kid`` names the data key, so rotation is "encrypt new values with the new key" plus, when
  convenient, :meth:`FieldCipher.rotate` over old rows; nothing is re-issued.

Blind index: HMAC-SHA256 under the separate index key over a kind tag and the normalized value,
as 64 hex characters. Equal holder codes give equal indexes, so holders are looked up by the
index and plain ID numbers never reach the database; without the key the index cannot be
brute-forced over the (small) space of ID numbers.

Errors never contain plaintext, ciphertext or the index input.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import unicodedata
from enum import StrEnum
from typing import Final, Literal

import orjson
from cryptography.exceptions import InvalidTag

from access.crypto.keys import IndexKey, KeyRing, UnknownKeyError, is_valid_kid

__all__ = [
    "BlindIndexer",
    "FieldCipher",
    "FieldCryptoError",
    "FieldCryptoErrorCode",
    "IndexKind",
    "normalize_for_index",
]

_VERSION: Final = "v1"
_NONCE_LEN: Final = 12
_TAG_LEN: Final = 16
_MAX_TOKEN_LEN: Final = 1 << 20
_B64U_RE: Final = re.compile(r"[A-Za-z0-9_-]*")
_INDEX_DOMAIN: Final = b"irs-blind-index/v1\x00"

FieldCryptoErrorCode = Literal["FIELD_MALFORMED", "FIELD_UNKNOWN_KEY", "FIELD_DECRYPT_FAILED"]

_MESSAGES: Final[dict[FieldCryptoErrorCode, tuple[str, str]]] = {
    "FIELD_MALFORMED": ("加密字段格式错误", "the encrypted field value is malformed"),
    "FIELD_UNKNOWN_KEY": (
        "加密字段使用的密钥不在密钥环中",
        "the encrypted field names a key that is not in the key ring",
    ),
    "FIELD_DECRYPT_FAILED": (
        "加密字段无法解密：数据被篡改或不属于该记录/字段",
        "the encrypted field cannot be decrypted: it was tampered with or belongs to "
        "another record or field",
    ),
}


class FieldCryptoError(Exception):
    """An encrypted field could not be read.

    Why typed: the store must tell "corrupt or moved data" (an integrity incident to report)
    from a programming error, and show a bilingual message without any field content.
    """

    code: FieldCryptoErrorCode
    message: str
    message_en: str

    def __init__(self, code: FieldCryptoErrorCode) -> None:
        """Look up the fixed messages of ``code`` (they contain no data)."""
        self.code = code
        self.message, self.message_en = _MESSAGES[code]
        super().__init__(self.message_en)

    def __reduce__(self) -> tuple[type[FieldCryptoError], tuple[FieldCryptoErrorCode]]:
        """Keep the error picklable."""
        return (type(self), (self.code,))


def _b64u(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64u(text: str) -> bytes:
    """Strict base64url (no padding, URL-safe alphabet only)."""
    if _B64U_RE.fullmatch(text) is None or len(text) % 4 == 1:
        raise FieldCryptoError("FIELD_MALFORMED")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise FieldCryptoError("FIELD_MALFORMED") from None


def _aad(kid: str, table: str, record_id: str, field: str) -> bytes:
    """The associated data binding a ciphertext to its version, key and storage location."""
    for part in (table, record_id, field):
        if not isinstance(part, str) or not part:
            raise ValueError("table, record_id and field must be non-empty str")
    # orjson writes the bytes of json.dumps(..., ensure_ascii=False, separators=(",", ":"))
    # for every code point (tests pin it), at a tenth of the cost: decrypting a 照面 needs it
    try:
        return orjson.dumps(["irs-field", _VERSION, kid, table, record_id, field])
    except orjson.JSONEncodeError:  # a lone surrogate: not UTF-8
        raise ValueError("table, record_id and field must be valid Unicode") from None


class FieldCipher:
    """Encrypts and decrypts personal-field values with the key ring's data keys.

    Why a class: it holds the ring, so callers pass only the value and where it is stored.
    """

    def __init__(self, keyring: KeyRing) -> None:
        """Use ``keyring``'s active data key for new values and any of its data keys to read."""
        self._ring = keyring

    def encrypt(self, plaintext: str, *, table: str, record_id: str, field: str) -> str:
        """Encrypt ``plaintext`` for storage in ``table``/``record_id``/``field``.

        Why the location: it is the associated data, so the ciphertext only decrypts there.
        """
        if not isinstance(plaintext, str):
            raise TypeError(f"plaintext must be str, not {type(plaintext).__name__}")
        key = self._ring.active_data_key
        nonce = secrets.token_bytes(_NONCE_LEN)
        sealed = key.aead().encrypt(
            nonce, plaintext.encode("utf-8"), _aad(key.kid, table, record_id, field)
        )
        return f"{_VERSION}.{key.kid}.{_b64u(nonce)}.{_b64u(sealed)}"

    def decrypt(self, token: str, *, table: str, record_id: str, field: str) -> str:
        """Decrypt a stored value with the key its kid names (active or retired).

        Raises:
            FieldCryptoError: malformed string, unknown kid, or failed authentication (tampered
                ciphertext, or a value moved from another record/field).
        """
        kid, nonce, sealed = self._split(token)
        try:
            key = self._ring.data_key(kid)
        except UnknownKeyError:
            raise FieldCryptoError("FIELD_UNKNOWN_KEY") from None
        try:
            plain = key.aead().decrypt(nonce, sealed, _aad(kid, table, record_id, field))
        except InvalidTag:
            raise FieldCryptoError("FIELD_DECRYPT_FAILED") from None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:  # authenticated, so only our own bug could cause this
            raise FieldCryptoError("FIELD_DECRYPT_FAILED") from None

    def needs_rotation(self, token: str) -> bool:
        """Whether ``token`` was encrypted under a key other than the active data key."""
        kid, _, _ = self._split(token)
        return kid != self._ring.active_data_key.kid

    def rotate(self, token: str, *, table: str, record_id: str, field: str) -> str:
        """Re-encrypt a stored value under the active data key (unchanged if already there).

        Why: after a data-key rotation, a background job walks old rows with this so that the
        retired key can eventually be destroyed. The value is authenticated before re-encryption,
        so a tampered value is reported, never laundered.
        """
        plaintext = self.decrypt(token, table=table, record_id=record_id, field=field)
        if not self.needs_rotation(token):
            return token
        return self.encrypt(plaintext, table=table, record_id=record_id, field=field)

    @staticmethod
    def key_id(token: str) -> str:
        """The kid named by a stored value (for reports of how many rows each key still holds)."""
        kid, _, _ = FieldCipher._split(token)
        return kid

    @staticmethod
    def _split(token: str) -> tuple[str, bytes, bytes]:
        """Parse ``v1.<kid>.<nonce>.<ct>`` strictly."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_LEN:
            raise FieldCryptoError("FIELD_MALFORMED")
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != _VERSION or not is_valid_kid(parts[1]):
            raise FieldCryptoError("FIELD_MALFORMED")
        nonce, sealed = _unb64u(parts[2]), _unb64u(parts[3])
        if len(nonce) != _NONCE_LEN or len(sealed) < _TAG_LEN:
            raise FieldCryptoError("FIELD_MALFORMED")
        return parts[1], nonce, sealed


class IndexKind(StrEnum):
    """What is being indexed; it selects the normalization and separates the index spaces.

    Why separate spaces: the same string in two roles (an ID number and a free-text field)
    must not produce linkable indexes.
    """

    CITIZEN_ID = "citizen_id"
    USCC = "uscc"
    TEXT = "text"


_ASCII_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WHITESPACE_RE: Final = re.compile(r"\s+")


def normalize_for_index(value: str, kind: IndexKind) -> str:
    """Normalize ``value`` so that the spellings people type map to one index.

    Why: a lookup by "３５０２０３…x " must find the license stored for "350203…X". Codes
    (citizen ID, USCC): Unicode NFKC (full-width digits and letters to ASCII), all whitespace
    removed, ASCII letters upper-cased. Text: NFKC, whitespace runs collapsed to one space,
    trimmed, case-folded. Values are not check-validated here (the caller validates codes at
    the boundary); normalization never fails except on an empty result.

    Raises:
        ValueError: the value is empty after normalization (the message contains no data).
    """
    if not isinstance(value, str):
        raise TypeError(f"value must be str, not {type(value).__name__}")
    text = unicodedata.normalize("NFKC", value)
    if kind is IndexKind.TEXT:
        text = _WHITESPACE_RE.sub(" ", text).strip().casefold()
    else:
        text = _WHITESPACE_RE.sub("", text).translate(_ASCII_UPPER)
    if not text:
        raise ValueError("cannot index an empty value")
    return text


class BlindIndexer:
    """Computes keyed blind indexes of holder codes and other searchable personal values.

    Why: equality search without storing the searched value. The index key is separate from
    the data keys and is stable (rotating it requires recomputing every stored index).
    """

    def __init__(self, key: IndexKey) -> None:
        """Use ``key`` (usually ``KeyRing.index_key``)."""
        self._key = key

    @property
    def key_id(self) -> str:
        """The kid of the index key (store it next to indexes to detect a key change)."""
        return self._key.kid

    def index(self, value: str, *, kind: IndexKind) -> str:
        """The blind index of ``value``: 64 lowercase hex characters."""
        normalized = normalize_for_index(value, kind)
        message = _INDEX_DOMAIN + kind.value.encode("ascii") + b"\x00" + normalized.encode("utf-8")
        return self._key.mac(message).hex()

    def __repr__(self) -> str:
        """The key id only."""
        return f"BlindIndexer(key_id={self._key.kid!r})"
