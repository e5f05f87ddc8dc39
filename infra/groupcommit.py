"""Group commit: database writes queued while a commit runs share the next one.

Each ``write`` waits until its own transaction is committed, but every write queued
meanwhile shares that commit, so a commit is paid once per batch rather than once per
write. Used by the broadcast fan-out (claims and marks) and the update ledger (one row
per incoming message).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from core.db import commit_without_flush_wait

log = logging.getLogger(__name__)

T = TypeVar("T")


def _log_failed_write(future: asyncio.Future[object]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a queued database write failed", exc_info=future.exception())


class GroupCommit:
    """Writes run on one thread (the event loop never waits for the disk), or ``inline``
    where a commit costs less than the hop to a thread (SQLite in WAL mode). ``durable``
    False: commits return before the WAL is flushed (``commit_without_flush_wait``)."""

    def __init__(
        self, engine: Engine, name: str, *, inline: bool = False, durable: bool = True
    ) -> None:
        self.engine = engine
        self.inline, self.durable = inline, durable
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=name)
        self._queue: list[tuple[Callable[[Connection], Any], Any, asyncio.Future[Any]]] = []
        self._draining: asyncio.Task[None] | None = None
        self.commits = 0
        self.writes = 0

    async def write(
        self,
        op: Callable[[Connection], T],
        undo: Callable[[Connection], object] | None = None,
    ) -> T:
        """Run ``op`` in the next batch; ``undo`` runs if the caller gave up waiting
        (cancelled) and ``op`` returned something true, e.g. releases a claim."""
        result: T = await self._enqueue(op, undo)
        return result

    def post(self, op: Callable[[Connection], object]) -> None:
        """Queue ``op`` for the next batch without waiting for it (``close`` waits).

        For the "sent" mark: it records what already happened, so the worker need not
        wait for the disk before taking its next row. A crash before the batch commits
        leaves the row "sending", i.e. delivery unknown and never resent.
        """
        self._enqueue(op, None).add_done_callback(_log_failed_write)

    def _enqueue(
        self, op: Callable[[Connection], Any], undo: Callable[[Connection], object] | None
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((op, undo, future))
        if self._draining is None or self._draining.done():
            self._draining = loop.create_task(self._drain())
        return future

    async def run(self, work: Callable[[], T]) -> T:
        """Other database work, on the same thread, so writers never compete."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                ops = [op for op, _, _ in batch]
                if self.inline:
                    results = self._apply(ops)
                else:
                    results = await loop.run_in_executor(self._executor, self._apply, ops)
            except Exception as error:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, undo, future), result in zip(batch, results, strict=True):
                if future.cancelled():
                    if undo is not None and result:
                        self._queue.append((undo, None, loop.create_future()))
                else:
                    future.set_result(result)

    def _apply(self, ops: list[Callable[[Connection], Any]]) -> list[Any]:
        with self.engine.begin() as conn:
            if not self.durable:
                commit_without_flush_wait(conn)
            results = [op(conn) for op in ops]
        self.commits += 1
        self.writes += len(ops)
        return results

    async def close(self) -> None:
        while self._draining is not None and not self._draining.done():
            await asyncio.shield(self._draining)
        self._executor.shutdown(wait=True)
