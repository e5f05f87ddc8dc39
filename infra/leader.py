"""Leadership: exactly one process at a time runs the broadcast scheduler; others stand by.

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock`` on a fixed
  64-bit key derived from the name) held on a dedicated connection. PostgreSQL drops it
  when that connection ends, which the kernel of a crashed or SIGKILLed process does at
  once; a machine that vanishes (power, network) is noticed by TCP keepalives, set on
  both ends of the connection, within about 15 s. A standby tries again every
  ``retry_seconds``; the leader checks its connection every ``check_seconds`` and steps
  down when it is gone (the lock went with it).
- **SQLite**: an exclusive non-blocking ``flock`` on ``<database file>.leader``, which
  the kernel releases when the process dies. An in-memory database belongs to one
  process: always leader.
- Any other database: always leader, with a warning (several workers need PostgreSQL).

Blocking calls run on one private thread, so the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

T = TypeVar("T")

# libpq settings for the lock's connection: the client notices a dead server or network
# (keepalives; tcp_user_timeout for unacknowledged writes), and the server notices a dead
# client host and frees the lock (its own keepalives, settable per session).
_PG_CONNECT_ARGS = {
    "application_name": "jingmin-leader",
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
    "options": (
        "-c statement_timeout=5000 -c tcp_keepalives_idle=5"
        " -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"
    ),
}


def lock_key(name: str) -> int:
    """A fixed signed 64-bit advisory-lock key for ``name`` (same in every process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def one_at_a_time(engine: Engine, name: str) -> Iterator[None]:
    """Workers run the block one after another (e.g. the start-up sync, whose
    select-then-insert two workers starting together would otherwise both do).
    PostgreSQL: a session advisory lock on a connection of its own; a SQLite file: a
    blocking ``flock`` beside it; an in-memory database has one process: no lock."""
    if engine.dialect.name == "sqlite":
        path = _beside_database(engine, ".sync")
        if path is None:
            yield
            return
        fd = _flocked(path, wait=True)
        assert fd is not None  # a waiting flock returns locked or raises
        try:
            yield
        finally:
            os.close(fd)  # releases the flock
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(name)})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)})


def _flocked(path: Path, *, wait: bool) -> int | None:
    """An open descriptor of ``path`` holding an exclusive ``flock`` (closing it unlocks);
    None if another process holds it and ``wait`` is False."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Lock(Protocol):
    def try_lock(self) -> bool: ...
    def held(self) -> bool: ...
    def unlock(self) -> None: ...


class _AlwaysLeader:
    def try_lock(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def unlock(self) -> None:
        pass


class FileLock:
    """``flock`` on a sidecar file; holds the pid of the leader for an operator to read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_lock(self) -> bool:
        if self._fd is not None:
            return True
        fd = _flocked(self.path, wait=False)
        if fd is None:
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        # If someone deleted or replaced the file, a newcomer can lock the new one.
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None


class AdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated autocommit connection (no open transaction)."""

    def __init__(self, url: URL, key: int) -> None:
        self.key = key
        self._engine = create_engine(
            url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=_PG_CONNECT_ARGS
        )
        self._conn: Connection | None = None

    def try_lock(self) -> bool:
        if self._conn is None:
            self._conn = self._engine.connect()
        try:
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
        except Exception:
            self.unlock()
            raise
        return bool(got)  # a standby keeps its connection for the next try

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except Exception:
            self.unlock()
            return False
        return True

    def unlock(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()  # ends the session, which releases the lock
            except Exception:
                log.debug("leader: closing the lock's connection failed", exc_info=True)


def _beside_database(engine: Engine, suffix: str) -> Path | None:
    """``<SQLite file><suffix>``; None for an in-memory database."""
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        return None
    return Path(database).with_name(Path(database).name + suffix)


def lock_for(engine: Engine, name: str) -> _Lock:
    url = engine.url
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return AdvisoryLock(url, lock_key(name))
    if dialect == "sqlite":
        path = _beside_database(engine, ".leader")
        return _AlwaysLeader() if path is None else FileLock(path)
    log.warning("leader: no lock on %s; run one worker only (several need PostgreSQL)", dialect)
    return _AlwaysLeader()


SCHEDULER = "broadcast scheduler"


def lock_name(name: str) -> str:
    return f"jingmin:{name}"


def someone_leads(engine: Engine, name: str = SCHEDULER) -> bool:
    """Does another process (a running bot) lead ``name`` on this database right now?

    One try of the leader's lock, released at once: a command line uses it to hand work
    to the running bot instead of doing it beside it.
    """
    lock = lock_for(engine, lock_name(name))
    try:
        free = lock.try_lock()
    finally:
        lock.unlock()
    return not free


def worker_lock(engine: Engine, worker: str) -> _Lock:
    """A lock ``worker`` holds while it lives: whoever else can take it knows that worker
    is gone. PostgreSQL: an advisory lock on a connection of its own; a SQLite file: a
    ``flock`` on ``<database>.workers/<worker>``; an in-memory database: one process."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine.url, lock_key(f"jingmin:worker:{worker}"))
    folder = _beside_database(engine, ".workers") if engine.dialect.name == "sqlite" else None
    if folder is None:
        return _AlwaysLeader()
    folder.mkdir(exist_ok=True)
    return FileLock(folder / worker)


def worker_gone(engine: Engine, worker: str) -> bool:
    """True if ``worker`` holds its lock no more (it died or stopped); its file, if it
    has one, is removed then."""
    lock = worker_lock(engine, worker)
    if not lock.try_lock():
        return False
    lock.unlock()
    if isinstance(lock, FileLock):
        lock.path.unlink(missing_ok=True)
    return True


class Leadership:
    """Who leads ``name``: ``await acquired()`` (standby until then), ``await lost()``.

    ``try_acquire()`` makes one attempt; ``release()`` gives leadership up for good.
    """

    def __init__(
        self,
        engine: Engine,
        name: str = SCHEDULER,
        *,
        retry_seconds: float = 1.0,
        check_seconds: float = 1.5,
        check_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.retry_seconds, self.check_seconds = retry_seconds, check_seconds
        self.check_timeout = check_timeout
        self.is_leader = False
        self.lock_name = lock_name(name)
        self._lock = lock_for(engine, self.lock_name)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="leader")
        self._said_standby = False
        self._said_trouble = False
        self._released = False

    async def _call(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def try_acquire(self) -> bool:
        """One attempt, without waiting for the lock; True if this process leads now."""
        if self.is_leader or self._released:
            return self.is_leader
        try:
            got = await self._call(self._lock.try_lock)
        except Exception as problem:
            if not self._said_trouble:  # once per outage, not every second
                log.warning("leader: cannot take the %s lock (%s); retrying", self.name, problem)
                self._said_trouble = True
            return False
        self._said_trouble = False
        if got:
            self.is_leader, self._said_standby = True, False
            log.info("leader: this process (pid %d) now leads the %s", os.getpid(), self.name)
        elif not self._said_standby:
            pid = os.getpid()
            log.info("leader: standby (pid %d); another process leads the %s", pid, self.name)
            self._said_standby = True
        return got

    async def acquired(self) -> None:
        """Return once this process leads (at once if it does already)."""
        # The lock is held in another process: nothing to wait on but the next attempt.
        while not await self.try_acquire():  # noqa: ASYNC110
            await asyncio.sleep(self.retry_seconds)

    async def lost(self) -> None:
        """Return once leadership is lost (at once if this process does not lead)."""
        while self.is_leader:
            await asyncio.sleep(self.check_seconds)
            try:
                ok = await asyncio.wait_for(self._call(self._lock.held), self.check_timeout)
            except Exception:  # includes a check that hangs past the timeout
                ok = False
            if not ok and self.is_leader:
                self.is_leader = False
                self._executor.submit(self._lock.unlock)  # behind a hung check, if any
                log.warning("leader: lost the %s (its lock is gone); standing by", self.name)

    async def release(self) -> None:
        """Give leadership up (e.g. on shutdown) and free the connection or file."""
        if self._released:
            return
        was, self.is_leader, self._released = self.is_leader, False, True
        try:
            await asyncio.wait_for(self._call(self._lock.unlock), self.check_timeout)
        except Exception:
            log.warning("leader: could not release the %s lock cleanly", self.name, exc_info=True)
        self._executor.shutdown(wait=False)
        if was:
            log.info("leader: released the %s", self.name)
