"""A serving process freezes its long-lived heap and collects young objects less often."""

from __future__ import annotations

import gc

from api.runtime import SERVING_GC_THRESHOLDS, settle_heap_for_serving


def test_settling_freezes_the_heap_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        settle_heap_for_serving()
        assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
