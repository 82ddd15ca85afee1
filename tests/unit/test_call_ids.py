"""Credential ids of licensed calls: version-4 UUID URNs, fresh on every call."""

from __future__ import annotations

import uuid

from access.elicenses.calls import credential_urn


def test_credential_ids_are_distinct_version_4_uuid_urns() -> None:
    made = [credential_urn() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for urn in made:
        assert urn.startswith("urn:uuid:")
        parsed = uuid.UUID(urn.removeprefix("urn:uuid:"))
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == urn.removeprefix("urn:uuid:")  # canonical lower-case form
