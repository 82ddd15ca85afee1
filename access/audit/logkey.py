"""The audit log's Ed25519 signing key, kept as one owner-only file in the key directory.

Why its own file and not a `KeyRing` entry: a checkpoint's verifier key is published once and
pinned by auditors and witnesses, so it must not move when the response-signing key rotates;
and the log key signs signed notes (raw Ed25519 over text), not JWS. The storage rules are the
key ring's (`access.crypto.keyfiles`: 0600 file, 0700 directory, atomic write, directory lock),
so the file sits next to the ring without touching it. A dev key is created on first run.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from access.crypto.keyfiles import corrupt, locked, read_private, write_private

LOG_KEY_FILE: Final = "audit-log-key.json"
_FORMAT: Final = "irs-audit-log-key/1"


def load_or_create_log_key(directory: Path) -> Ed25519PrivateKey:
    """The log key in `directory`, generated and saved on first run (several processes
    starting together agree on one key: the directory lock)."""
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / LOG_KEY_FILE
    with locked(directory):
        if path.exists():
            return _parse(path, read_private(path))
        key = Ed25519PrivateKey.generate()
        write_private(
            path,
            {
                "format": _FORMAT,
                "alg": "Ed25519",
                "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "private_key": base64.b64encode(key.private_bytes_raw()).decode("ascii"),
            },
        )
        return key


def _parse(path: Path, record: dict[str, object]) -> Ed25519PrivateKey:
    try:
        raw = record["private_key"]
        if record.get("format") != _FORMAT or record.get("alg") != "Ed25519":
            raise ValueError("unknown format")
        if not isinstance(raw, str):
            raise TypeError("private_key must be a string")
        material = base64.b64decode(raw, validate=True)
        if len(material) != 32:
            raise ValueError("an Ed25519 private key is 32 bytes")
        return Ed25519PrivateKey.from_private_bytes(material)
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        raise corrupt(path, f"bad audit log key ({type(err).__name__})") from None
