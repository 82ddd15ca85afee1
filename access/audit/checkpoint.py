"""Signed checkpoints: the log's periodic, signed commitment to (size, root hash, time).

A checkpoint is what an auditor or holder keeps: with it and the log's public key, an inclusion
or consistency proof can be checked offline, and the log can never later present a history that
disagrees with it. The text format is C2SP tlog-checkpoint inside a C2SP signed note, so
standard transparency tooling (Go's `sumdb/note`, witnesses, monitors) can read and verify it:

    xiamen.gov.cn/irs/audit            ← origin: the log's identity
    1048576                            ← tree size, decimal
    Zm9vYmFy...=                       ← root hash, standard base64
    time 2025-05-01T08:00:00Z          ← extension line: when it was signed (RFC 3339, UTC)

    — xiamen.gov.cn/irs/audit AbCd...  ← em dash, key name, base64(key ID ‖ Ed25519 signature)

The signature covers the whole note text, so the time line is signed too. (C2SP discourages
extension lines because witnesses do not vouch for them; we keep one because the auditors need
the signing time and only our own key signs it.) The key ID is the signed-note one,
SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], and `verifier_key` prints the log's key in
the note "vkey" form (name+keyid+base64(0x01 ‖ key)) that those tools accept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from access.audit.errors import CheckpointSignatureError, InvalidCheckpoint
from access.audit.merkle import EMPTY_ROOT, HASH_SIZE

EM_DASH: Final = "\u2014"
ED25519_TYPE: Final = b"\x01"  # signed-note signature type for Ed25519
MAX_SIGNATURES: Final = 100  # the spec asks verifiers to accept at least 16
MAX_NOTE_BYTES: Final = 64 * 1024

_NAME = re.compile(r"[^\s+]+")  # non-empty, no Unicode spaces, no '+'
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_TIME_LINE = re.compile(r"time ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # every ASCII control but newline


@dataclass(frozen=True, kw_only=True, slots=True)
class Checkpoint:
    """A Merkle tree head of the audit log: `size` leaves with MTH `root`, signed at `time`
    (timezone-aware, whole seconds) by the log named `origin`."""

    origin: str
    size: int
    root: bytes
    time: datetime

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.origin) or _CONTROL.search(self.origin):
            raise ValueError("origin must be non-empty, without spaces or '+'")
        if isinstance(self.size, bool) or not 0 <= self.size < 2**63:
            raise ValueError("size must be an integer in [0, 2^63)")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"root must be a {HASH_SIZE}-byte hash")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise ValueError("the tree of size 0 must have the empty-tree root")
        if self.time.utcoffset() is None or self.time.microsecond:
            raise ValueError("time must be timezone-aware, in whole seconds")

    def note_text(self) -> str:
        """The checkpoint body: the exact text the signature covers (ends in a newline)."""
        root = base64.b64encode(self.root).decode("ascii")
        when = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.origin}\n{self.size}\n{root}\ntime {when}\n"


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key ID: SHA-256(name ‖ "\\n" ‖ 0x01 ‖ 32-byte key)[:4]."""
    raw = public_key.public_bytes_raw()
    return hashlib.sha256(key_name.encode() + b"\n" + ED25519_TYPE + raw).digest()[:4]


def verifier_key(key_name: str, public_key: Ed25519PublicKey) -> str:
    """The public key as a signed-note verifier key, `name+<key id hex>+base64(0x01 ‖ key)`:
    what the platform publishes so anyone can check checkpoints with standard tools."""
    _check_name(key_name)
    material = base64.b64encode(ED25519_TYPE + public_key.public_bytes_raw()).decode("ascii")
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{material}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """(key name, public key) from a verifier key; `InvalidCheckpoint` if it is malformed or its
    key ID does not match its key."""
    name, _, rest = vkey.partition("+")
    hint, _, material = rest.partition("+")
    raw = _b64(material, "verifier key")
    if not _NAME.fullmatch(name) or len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise InvalidCheckpoint("not an Ed25519 verifier key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if hint != key_id(name, public_key).hex():
        raise InvalidCheckpoint("verifier key ID does not match its key")
    return name, public_key


def sign_checkpoint(
    checkpoint: Checkpoint, *, private_key: Ed25519PrivateKey, key_name: str | None = None
) -> str:
    """The checkpoint as a signed note, signed with the log key under `key_name` (by default
    the origin, as tlog-checkpoint recommends). Ed25519 is deterministic: same input, same text."""
    name = checkpoint.origin if key_name is None else key_name
    _check_name(name)
    text = checkpoint.note_text()
    blob = key_id(name, private_key.public_key()) + private_key.sign(text.encode())
    return f"{text}\n{EM_DASH} {name} {base64.b64encode(blob).decode('ascii')}\n"


def verify_checkpoint(
    note: str | bytes,
    public_key: Ed25519PublicKey,
    *,
    key_name: str | None = None,
    origin: str | None = None,
) -> Checkpoint:
    """The checkpoint in `note` if the trusted key signed it; raises otherwise.

    `key_name` defaults to the note's origin line. Signatures by other keys are ignored (notes
    may carry witness cosignatures); a signature that claims to be by the trusted key but does
    not verify rejects the note. Pass `origin` to pin which log the checkpoint must be from.

    Raises `InvalidCheckpoint` (not a signed checkpoint) or `CheckpointSignatureError`."""
    text, signatures = split_note(note)
    lines = text.split("\n")[:-1]
    name = lines[0] if key_name is None else key_name
    _check_name(name)
    expected_id = key_id(name, public_key)
    verified = False
    for sig_name, blob in signatures:
        if sig_name != name or blob[:4] != expected_id:
            continue
        try:
            public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise CheckpointSignatureError(f"a signature by {name} does not verify") from None
        verified = True
    if not verified:
        raise CheckpointSignatureError(f"no signature by the trusted key {name}")
    checkpoint = parse_checkpoint_text(text)
    if origin is not None and checkpoint.origin != origin:
        raise InvalidCheckpoint(f"checkpoint is from {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def split_note(note: str | bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """(signed text, [(key name, key ID ‖ signature)]) of a signed note, checking its syntax
    only — nothing is trusted until a signature verifies."""
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise InvalidCheckpoint("note too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCheckpoint("note is not UTF-8") from None
    if len(note) > MAX_NOTE_BYTES:
        raise InvalidCheckpoint("note too large")
    if _CONTROL.search(note) or any(0xD800 <= ord(c) <= 0xDFFF for c in note):
        raise InvalidCheckpoint("note holds control characters or is not valid Unicode")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise InvalidCheckpoint("no blank line between text and signatures")
    text, block = note[: split + 1], note[split + 2 :]
    sig_lines = block.split("\n")[:-1]
    if not sig_lines or len(sig_lines) > MAX_SIGNATURES:
        raise InvalidCheckpoint(f"a note needs 1 to {MAX_SIGNATURES} signature lines")
    signatures: list[tuple[str, bytes]] = []
    for line in sig_lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or not _NAME.fullmatch(parts[1]):
            raise InvalidCheckpoint("malformed signature line")
        blob = _b64(parts[2], "signature")
        if len(blob) < 5:
            raise InvalidCheckpoint("signature too short")
        signatures.append((parts[1], blob))
    return text, signatures


def parse_checkpoint_text(text: str) -> Checkpoint:
    """A checkpoint from its note text (origin, size, root, time lines); strict, so one
    checkpoint has exactly one text."""
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) != 5:
        raise InvalidCheckpoint("a checkpoint has origin, size, root and time lines")
    origin, size, root_b64, time_line = lines[:4]
    if not _NAME.fullmatch(origin):
        raise InvalidCheckpoint("bad origin line")
    if not _SIZE.fullmatch(size):
        raise InvalidCheckpoint("tree size must be a decimal without leading zeros")
    root = _b64(root_b64, "root hash")
    if len(root) != HASH_SIZE:
        raise InvalidCheckpoint(f"root hash must be {HASH_SIZE} bytes")
    match = _TIME_LINE.fullmatch(time_line)
    if match is None:
        raise InvalidCheckpoint("time line must be 'time YYYY-MM-DDTHH:MM:SSZ'")
    try:
        when = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        checkpoint = Checkpoint(origin=origin, size=int(size), root=root, time=when)
    except ValueError as exc:
        raise InvalidCheckpoint(str(exc)) from None
    if checkpoint.note_text() != text:
        raise InvalidCheckpoint("checkpoint text is not in canonical form")
    return checkpoint


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name) or _CONTROL.search(name):
        raise InvalidCheckpoint("key names are non-empty, without spaces or '+'")


def _b64(value: str, what: str) -> bytes:
    """Strict standard base64: padded, no stray characters, one encoding per value."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCheckpoint(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != value:
        raise InvalidCheckpoint(f"{what} is not canonical base64")
    return raw
