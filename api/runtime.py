"""How a serving process treats Python's garbage collector.

A server's heap is mostly what lives as long as the process (modules, the GraphQL schema, the
stores, caches); requests add short-lived objects by the thousand (a 100-item page, a licensed
call's facts and credential). With the defaults the collector runs a young pass every 700
allocations and now and then a full pass over everything: on a 100-item page that is ~1 ms of
young passes, and a full pass over an unfrozen schema is ~15 ms on the request that triggers
it. So, once everything long-lived is built: freeze it (full passes skip it) and run young
passes every 10,000 allocations (request garbage is mostly freed by reference counting anyway;
cycles wait a little longer to be collected).
"""

from __future__ import annotations

import gc
from typing import Final

SERVING_GC_THRESHOLDS: Final = (10_000, 10, 10)


def settle_heap_for_serving() -> None:
    """Freeze what exists now and collect young objects less often (see the module doc).
    Call it once the long-lived objects are built; calling it again freezes what came since."""
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
