"""The key directory on disk: owner-only files, atomic writes and a directory lock.

Why separate from :mod:`access.crypto.keys`: these are the storage rules (0600 files in a
0700 directory, write-to-temp + fsync + rename, one ``flock`` per directory so several
processes agree) and they know nothing about what a key is. Nothing here logs or formats file
contents into errors: errors name the file and the reason only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "KeyStoreError",
    "KeyStoreErrorCode",
    "corrupt",
    "locked",
    "read_private",
    "write_private",
]

_LOCK: Final = ".lock"

KeyStoreErrorCode = Literal["KEY_STORE_MISSING", "KEY_STORE_CORRUPT", "KEY_STORE_PERMISSIONS"]


class KeyStoreError(Exception):
    """The key directory is missing, unreadable, malformed or too widely readable.

    Why typed: the composition root refuses to start on it and shows the bilingual message;
    ``detail`` (for logs) names files, never key material.
    """

    code: KeyStoreErrorCode
    message: str
    message_en: str

    def __init__(self, code: KeyStoreErrorCode, message: str, message_en: str, detail: str) -> None:
        """Store the structured fields; ``str()`` is the English message plus detail."""
        super().__init__(f"{message_en}: {detail}")
        self.code = code
        self.message = message
        self.message_en = message_en
        self.detail = detail


def corrupt(path: Path, why: str) -> KeyStoreError:
    """A KEY_STORE_CORRUPT error naming the file."""
    return KeyStoreError(
        "KEY_STORE_CORRUPT", "密钥文件损坏或格式不符", "a key file is corrupt", f"{path}: {why}"
    )


def read_private(path: Path) -> dict[str, Any]:
    """Read a JSON key file after checking that only its owner can read it."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise KeyStoreError(
                "KEY_STORE_PERMISSIONS",
                "密钥文件权限过宽：只允许属主读写（0600）",
                "key file permissions are too open: only the owner may read it (0600)",
                f"{path}: mode {mode & 0o777:o}",
            )
        value = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise corrupt(path, type(err).__name__) from None
    if not isinstance(value, dict):
        raise corrupt(path, "not a JSON object")
    return value


def write_private(path: Path, value: dict[str, Any]) -> None:
    """Write JSON atomically with mode 0600 (temp file, fsync, rename, fsync directory)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(json.dumps(value, indent=1, sort_keys=True).encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on the key directory (first-run creation, rotation, loading)."""
    fd = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
