"""A child process for the audit concurrency test: appends `count` records to the log at
`url` in batches of 1–3 (its own transactions), consent ids `<prefix>-<i>`. It prints `ready`
once imported and connected, and starts on a line from stdin, so all writers overlap."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.integration.audit_support import draft, open_log


def main(url: str, keys: str, prefix: str, count: int) -> None:
    engine, log = open_log(url, Path(keys))
    print("ready", flush=True)
    sys.stdin.readline()
    i = 0
    while i < count:
        batch = [
            draft(i + j, consent=f"{prefix}-{i + j}") for j in range(min(1 + i % 3, count - i))
        ]
        log.append_now(batch)
        i += len(batch)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
