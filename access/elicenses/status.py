"""Bitstring Status Lists (W3C) for issued e-licenses and for grants.

Every e-license and every grant gets one bit when it is created; revoking it sets the bit.
A licensed call's credential points at both bits, so a verifier holding a saved response
learns offline-with-one-fetch whether the license or the grant behind it was revoked.

Bits are allocated from a counter row in the caller's transaction (gap-free, never reused);
list `n` of a kind holds bits `[n * LIST_BITS, (n + 1) * LIST_BITS)`. The lists are computed
from the revoked rows, signed as `BitstringStatusListCredential`s and cached for a short time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import Integer, bindparam, text
from sqlalchemy.engine import Connection, Engine

from access.crypto.keys import KeyRing
from access.crypto.status_list import StatusList, status_list_credential
from access.crypto.vc import StatusRef, sign_credential

LIST_BITS: Final = 131_072  # 16 KiB: the specification's minimum, for herd privacy
CACHE_SECONDS: Final = 5.0
LIST_VALIDITY: Final = timedelta(hours=1)


class StatusListKind(StrEnum):
    """Which status list: e-licenses or grants."""

    ELICENSES = "elicenses"
    GRANTS = "grants"


BUMP_COUNTER: Final = text(
    "UPDATE status_counters SET next_index = next_index + :count WHERE list_id = :list_id"
).bindparams(bindparam("count", type_=Integer))
READ_COUNTER: Final = text("SELECT next_index FROM status_counters WHERE list_id = :list_id")
REVOKED_BITS: Final = {
    StatusListKind.ELICENSES: text(
        "SELECT status_index FROM elicenses WHERE revoked_at IS NOT NULL "
        "AND status_index >= :low AND status_index < :high"
    ),
    StatusListKind.GRANTS: text(
        "SELECT status_index FROM grants WHERE revoked_at IS NOT NULL "
        "AND status_index IS NOT NULL AND status_index >= :low AND status_index < :high"
    ),
}


def allocate(connection: Connection, kind: StatusListKind, count: int = 1) -> int:
    """Reserve `count` consecutive bits of `kind` in the open transaction; the first index.

    The UPDATE takes the row's write lock first, so concurrent issuers never share a bit."""
    if count < 1:
        raise ValueError("count must be positive")
    connection.execute(BUMP_COUNTER, {"count": count, "list_id": kind.value})
    after = connection.execute(READ_COUNTER, {"list_id": kind.value}).scalar_one()
    return int(after) - count


class StatusLists:
    """Where the lists are published, and how to build and sign them."""

    def __init__(
        self,
        *,
        engine: Engine,
        keys: KeyRing,
        issuer: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.issuer = issuer
        self.clock = clock
        self._cache: dict[tuple[StatusListKind, int], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def url(self, kind: StatusListKind, number: int) -> str:
        return f"{self.issuer}/status/{kind.value}/{number}"

    def ref(self, kind: StatusListKind, index: int) -> StatusRef:
        """The `credentialStatus` target of bit `index` of `kind`."""
        return StatusRef(list_url=self.url(kind, index // LIST_BITS), index=index % LIST_BITS)

    def bits(self, kind: StatusListKind, number: int) -> StatusList:
        """List `number` of `kind` as it is in the records now."""
        low = number * LIST_BITS
        status = StatusList(LIST_BITS)
        with self.engine.connect() as connection:
            rows = connection.execute(REVOKED_BITS[kind], {"low": low, "high": low + LIST_BITS})
            for (index,) in rows:
                status.set(int(index) - low)
        return status

    def exists(self, kind: StatusListKind, number: int) -> bool:
        """Whether list `number` of `kind` has any allocated bit (only those are served)."""
        if number < 0:
            return False
        with self.engine.connect() as connection:
            allocated = connection.execute(READ_COUNTER, {"list_id": kind.value}).scalar_one()
        return number == 0 or number * LIST_BITS < int(allocated)

    def signed(self, kind: StatusListKind, number: int) -> str:
        """The signed status-list credential (vc+jwt), cached for `CACHE_SECONDS`."""
        if number < 0:
            raise ValueError("status list numbers start at 0")
        cache = self._cache
        key = (kind, number)
        with self._lock:
            hit = cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
                return hit[1]
        now = self.clock()
        credential = status_list_credential(
            list_url=self.url(kind, number),
            issuer=self.issuer,
            status_list=self.bits(kind, number),
            valid_from=now,
            valid_until=now + LIST_VALIDITY,
        )
        token = sign_credential(credential, self.keys.active_signing_key, now=now)
        with self._lock:
            cache[key] = (time.monotonic(), token)
        return token

    def forget(self) -> None:
        """Drop cached lists (after a revocation in this process)."""
        with self._lock:
            self._cache.clear()
