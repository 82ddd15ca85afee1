"""The audit log key file and drafts: one key per directory, owner-only, refused when damaged."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from access.audit.errors import InvalidAuditRecord
from access.audit.logkey import LOG_KEY_FILE, load_or_create_log_key
from access.audit.records import AuditDraft, AuditKind
from access.crypto.keyfiles import KeyStoreError


def test_the_key_is_created_once_and_reloaded(tmp_path: Path) -> None:
    first = load_or_create_log_key(tmp_path / "keys")
    again = load_or_create_log_key(tmp_path / "keys")
    assert first.private_bytes_raw() == again.private_bytes_raw()
    path = tmp_path / "keys" / LOG_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert first.private_bytes_raw().hex() not in path.read_text()  # stored as base64, not hex


def test_a_readable_or_damaged_key_file_is_refused(tmp_path: Path) -> None:
    load_or_create_log_key(tmp_path)
    path = tmp_path / LOG_KEY_FILE
    os.chmod(path, 0o644)
    with pytest.raises(KeyStoreError) as readable:
        load_or_create_log_key(tmp_path)
    assert readable.value.code == "KEY_STORE_PERMISSIONS"
    os.chmod(path, 0o600)
    path.write_text('{"format": "irs-audit-log-key/1", "alg": "Ed25519", "private_key": "AAA="}')
    with pytest.raises(KeyStoreError) as damaged:
        load_or_create_log_key(tmp_path)
    assert damaged.value.code == "KEY_STORE_CORRUPT"
    assert "AAA=" not in str(damaged.value)


def test_a_draft_becomes_a_validated_record_at_its_seq() -> None:
    draft = AuditDraft(
        time=datetime(2025, 5, 1, tzinfo=UTC), kind=AuditKind.CATALOG_CHANGED, actor="admin"
    )
    assert draft.at(7).seq == 7
    assert draft.at(7).actor == "admin"
    with pytest.raises(InvalidAuditRecord):
        draft.at(-1)
