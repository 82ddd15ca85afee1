"""The IRS policies (Rego v1): `irs.call` decides licensed calls, `irs.approval` who may
approve, `irs.messages` holds the bilingual reason texts. Tests are the `*_test.rego` files."""

from __future__ import annotations

from pathlib import Path

POLICY_DIR = Path(__file__).resolve().parent


def policy_files(directory: Path = POLICY_DIR) -> list[Path]:
    """The policy modules an engine loads (tests excluded), in a stable order."""
    return sorted(p for p in directory.glob("*.rego") if not p.name.endswith("_test.rego"))


def policy_sources(directory: Path = POLICY_DIR) -> dict[str, str]:
    """File name → Rego text of every policy module (what an in-process engine loads)."""
    return {p.name: p.read_text(encoding="utf-8") for p in policy_files(directory)}
