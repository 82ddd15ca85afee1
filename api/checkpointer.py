"""Signs audit checkpoints in the background while the server runs.

Every `interval` seconds, if the log grew since the last signed checkpoint, one is signed (in a
worker thread: it reads the tree's right edge and writes one row). Any replica may sign; a
checkpoint of a size already signed is the same tree head. A failure is logged and retried on
the next tick: checkpoints are evidence, not a gate on calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from access.audit.log import AuditLog

log = logging.getLogger("irs.audit")


def sign_if_grown(audit: AuditLog) -> int | None:
    """Sign a checkpoint when the log has records past the latest one; its size, or None."""
    latest = audit.latest_checkpoint()
    size = audit.size()
    if size == 0 or (latest is not None and latest.checkpoint.size >= size):
        return None
    return audit.checkpoint().checkpoint.size


@asynccontextmanager
async def checkpoints_every(audit: AuditLog, interval: float) -> AsyncIterator[None]:
    """Run the signer while the context is open; sign once more on the way out."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(sign_if_grown, audit)
            except Exception as exc:  # logged and retried: the next tick signs
                log.error("audit checkpoint failed", extra={"error": type(exc).__name__})

    task = asyncio.create_task(loop()) if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await asyncio.to_thread(sign_if_grown, audit)
        except Exception as exc:
            log.error("final audit checkpoint failed", extra={"error": type(exc).__name__})
