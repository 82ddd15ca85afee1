"""Seeded randomness for the demo's invented detail (dates, cycles), stable per entity.

Every entity gets its own generator seeded from the demo seed and its code, so adding or
removing one entity never changes the invented detail of another.
"""

from __future__ import annotations

import random
from datetime import date

SEED = 20240601


def rng_for(*key: str) -> random.Random:
    """A generator seeded by the demo seed and `key` (deterministic across runs and hosts)."""
    return random.Random(f"{SEED}:{':'.join(key)}")


def publish_date(*key: str, first_year: int = 2019) -> date:
    """A publish date between `first_year` and May 2024, stable for `key`."""
    rng = rng_for("published", *key)
    year = rng.randint(first_year, 2024)
    month = rng.randint(1, 5 if year == 2024 else 12)
    return date(year, month, rng.randint(1, 28))
