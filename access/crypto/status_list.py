"""W3C Bitstring Status List v1.0: the revocation bits of issued credentials.

Why: revoking an e-license or a grant must reach verifiers who checked a response offline, and
the standard way for W3C VCs is a published bitstring in which each credential owns one bit
(its ``statusListIndex``). A verifier fetches the whole list, so the issuer never learns which
credential is being checked (herd privacy), and a 131,072-entry list with few revocations
compresses to a few hundred bytes.

Encoding, exactly as the specification requires:

* the bitstring is at least 16 KiB = 131,072 bits; index 0 is the left-most bit, i.e. the most
  significant bit of the first byte, and index ``n - 1`` the right-most;
* ``encodedList`` = ``"u"`` (the Multibase prefix of base64url) + base64url **without padding**
  (RFC 4648) of the GZIP (RFC 1952) compression of the bitstring.

We compress with a fixed mtime of 0 so the same bits always encode to the same string (stable
ETags, reproducible tests). Decoding bounds the decompressed size (a hostile "zip bomb" list
from another region must not exhaust memory) and refuses lists shorter than the minimum.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal

from access.crypto._vcdm import VC_V2_CONTEXT, rfc3339_seconds

__all__ = [
    "MIN_STATUS_LIST_BITS",
    "StatusList",
    "StatusListError",
    "StatusPurpose",
    "status_list_credential",
    "status_list_entry",
]

#: The minimum size of the uncompressed bitstring (16 KiB), per the specification.
MIN_STATUS_LIST_BITS: Final = 131_072
_DEFAULT_MAX_BITS: Final = 1 << 27  # 16 MiB decompressed
_B64U_RE: Final = re.compile(r"[A-Za-z0-9_-]+")

StatusPurpose = Literal["revocation", "suspension"]


class StatusListError(ValueError):
    """An encoded status list is malformed, too short, too large, or an index is out of range.

    Why typed: the spec names these verification errors (STATUS_LIST_LENGTH_ERROR,
    MALFORMED_VALUE_ERROR, RANGE_ERROR); ``code`` carries them so verifiers can report them.
    """

    def __init__(
        self,
        code: Literal["STATUS_LIST_LENGTH_ERROR", "MALFORMED_VALUE_ERROR", "RANGE_ERROR"],
        message_en: str,
    ) -> None:
        """Store the spec's error name and an English message (no personal data involved)."""
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en


class StatusList:
    """A mutable bitstring of credential statuses (1 = revoked/suspended, 0 = not).

    Why a class rather than bytes: indexes are checked, the size rule is enforced once, and
    encode/decode follow the specification in one place.
    """

    __slots__ = ("_bits",)

    def __init__(self, size_bits: int = MIN_STATUS_LIST_BITS) -> None:
        """An all-zero list of ``size_bits`` bits (a multiple of 8, at least 131,072)."""
        if isinstance(size_bits, bool) or not isinstance(size_bits, int):
            raise TypeError("size_bits must be int")
        if size_bits < MIN_STATUS_LIST_BITS or size_bits % 8:
            raise StatusListError(
                "STATUS_LIST_LENGTH_ERROR",
                f"a status list has a multiple of 8 bits, at least {MIN_STATUS_LIST_BITS}",
            )
        self._bits = bytearray(size_bits // 8)

    @property
    def size(self) -> int:
        """Number of entries (bits)."""
        return len(self._bits) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        """Byte offset and bit mask of ``index`` (index 0 = most significant bit of byte 0)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("index must be int")
        if not 0 <= index < self.size:
            raise StatusListError("RANGE_ERROR", f"index out of range [0, {self.size})")
        return index >> 3, 0x80 >> (index & 7)

    def get(self, index: int) -> bool:
        """Whether the bit of ``index`` is set (the credential is revoked/suspended)."""
        offset, mask = self._locate(index)
        return bool(self._bits[offset] & mask)

    def set(self, index: int, value: bool = True) -> None:
        """Set (or with ``value=False`` clear) the bit of ``index``."""
        offset, mask = self._locate(index)
        if value:
            self._bits[offset] |= mask
        else:
            self._bits[offset] &= ~mask & 0xFF

    def set_indexes(self) -> Iterable[int]:
        """The indexes whose bit is set, ascending (for audits and tests)."""
        for offset, byte in enumerate(self._bits):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield offset * 8 + bit

    def to_bytes(self) -> bytes:
        """The raw (uncompressed) bitstring."""
        return bytes(self._bits)

    @classmethod
    def from_bytes(cls, data: bytes) -> StatusList:
        """A list over a raw bitstring (must be at least 16 KiB)."""
        if len(data) * 8 < MIN_STATUS_LIST_BITS:
            raise StatusListError(
                "STATUS_LIST_LENGTH_ERROR",
                f"the bitstring has fewer than {MIN_STATUS_LIST_BITS} bits",
            )
        lst = cls(len(data) * 8)
        lst._bits[:] = data
        return lst

    def encode(self) -> str:
        """The ``encodedList`` value: ``"u"`` + base64url-no-pad(GZIP(bitstring))."""
        compressed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str, *, max_bits: int = _DEFAULT_MAX_BITS) -> StatusList:
        """Parse an ``encodedList`` value.

        Raises:
            StatusListError: ``MALFORMED_VALUE_ERROR`` (not "u"+base64url, not one GZIP member,
                larger than ``max_bits``), ``STATUS_LIST_LENGTH_ERROR`` (shorter than the
                minimum or not whole bytes).
        """
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise StatusListError("MALFORMED_VALUE_ERROR", "encodedList must start with 'u'")
        text = encoded[1:]
        if _B64U_RE.fullmatch(text) is None or len(text) % 4 == 1:
            raise StatusListError("MALFORMED_VALUE_ERROR", "encodedList is not base64url")
        try:
            compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise StatusListError("MALFORMED_VALUE_ERROR", "encodedList is not base64url") from None
        limit = max_bits // 8
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP container only
        try:
            data = inflater.decompress(compressed, limit + 1)
        except zlib.error:
            raise StatusListError("MALFORMED_VALUE_ERROR", "encodedList is not GZIP") from None
        if len(data) > limit:
            raise StatusListError("MALFORMED_VALUE_ERROR", f"status list exceeds {max_bits} bits")
        if not inflater.eof or inflater.unused_data:
            raise StatusListError(
                "MALFORMED_VALUE_ERROR", "encodedList is not exactly one complete GZIP member"
            )
        return cls.from_bytes(data)

    def __repr__(self) -> str:
        """Size only (the bits are not secret, but they are long)."""
        return f"StatusList(size={self.size})"


def status_list_entry(
    *,
    status_list_credential: str,
    index: int,
    purpose: StatusPurpose = "revocation",
    entry_id: str | None = None,
) -> dict[str, Any]:
    """The ``credentialStatus`` object a credential carries to point at its bit.

    Why: ``statusListIndex`` must be a base-10 *string* and the entry's ``id`` (if any) must
    not be the list's URL; building it here keeps those rules in one place.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError("index must be a non-negative int")
    if entry_id is not None and entry_id == status_list_credential:
        raise ValueError("the entry id must not be the status list URL")
    entry: dict[str, Any] = {}
    if entry_id is not None:
        entry["id"] = entry_id
    entry.update(
        type="BitstringStatusListEntry",
        statusPurpose=purpose,
        statusListIndex=str(index),
        statusListCredential=status_list_credential,
    )
    return entry


def status_list_credential(
    *,
    list_url: str,
    issuer: str,
    status_list: StatusList,
    purpose: StatusPurpose = "revocation",
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The BitstringStatusListCredential (unsigned) published at ``list_url``.

    Why unsigned: it is secured like every other credential, by
    :func:`access.crypto.vc.sign_credential`, so verifiers trust it through the same JWKS.
    The subject's ``id`` is ``list_url#list`` as in the specification's examples.
    """
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": rfc3339_seconds(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = rfc3339_seconds(valid_until)
    credential["credentialSubject"] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    return credential
