"""A child process for durability tests: writes systems through the ledger, one per commit,
and prints each code only after its commit returned (so the parent knows what must survive)."""

from __future__ import annotations

import sys
from pathlib import Path

from catalog.ledger import Ledger
from catalog.model import Kind, System
from catalog.principal import SYSTEM_PRINCIPAL
from graph.sqlite_store import SqliteGraphStore
from tests.factories import SCJG


def main(path: str, prefix: str, count: int, patch_field: str) -> None:
    ledger = Ledger(store=SqliteGraphStore(Path(path)))
    for i in range(count):
        code = f"SYS-{prefix}-{i:05d}"
        ledger.register(
            principal=SYSTEM_PRINCIPAL,
            entity=System(code=code, name=f"并发写入系统{i}", department=SCJG),
        )
        if patch_field:
            ledger.update(
                principal=SYSTEM_PRINCIPAL,
                kind=Kind.SYSTEM,
                code="SYS-SCJG-1",
                changes={patch_field: f"{prefix}-{i}"},
            )
        print(code, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
