"""One event, one transaction: the unit of work of the event path.

The dispatcher opens an ``EventUnit`` for each event; handlers reach its session with
``event_session(engine)``. It is committed once, after the handlers ran and before the
first reply is sent, so no reply or card tells of a row that could still be lost; a
handler that raises has everything the event wrote rolled back (the guard's record, the
ticket, its card), so a crash or an error never leaves half of an event written. Outside
an event (a job, the CLI, a test calling a handler) ``event_session`` is a unit of its
own for the block, committed when the block ends.

Inside a unit, ``Session.commit()`` (which the domain's functions call for their other
callers) writes nothing yet: the session joins the unit's transaction. A handler must not
call ``Session.rollback()`` there: it would roll back the whole event (the unit then
refuses to commit, and the error hook tells the duty officer).

Once an event has written, it must not await anything that lets another event run (a
fetch, a thread) until it commits: that event would wait, blocking the loop, for the lock
this one holds (SQLite's write lock, a PostgreSQL row). So the writes an event makes
beside its own rows (the "once per window" claims, the question log) go through the
unit's connection (``bookkeeping``), not through another connection they would wait for.
An event that wrote only such bookkeeping (most answers: a claim) commits without waiting
for PostgreSQL's WAL flush, as the bookkeeping did in commits of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import TracebackType

from sqlalchemy import Connection, Engine, event
from sqlmodel import Session

from core.db import DatabaseBusy, commit_without_flush_wait, is_busy

_current: ContextVar[EventUnit | None] = ContextVar("event_unit", default=None)
_WRITES = ("INSERT", "UPDATE", "DELETE")


class EventUnit:
    """The transaction of one event: begun at its first use, ended once (``commit`` or
    ``rollback``; leaving the ``with`` block without committing rolls back)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._ended = False
        self._rolled_back_inside = False
        self._bookkeeping = False  # the statements running now are bookkeeping
        self._durable = False  # the event wrote rows of its own: its commit waits for the disk
        self._token: Token[EventUnit | None] | None = None

    def __enter__(self) -> EventUnit:
        self._token = _current.set(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.rollback()
        if self._token is not None:
            _current.reset(self._token)

    @property
    def open(self) -> bool:
        return not self._ended

    @property
    def connection(self) -> Connection:
        if self._ended:
            raise RuntimeError("the event's transaction has ended")
        if self._connection is None:
            self._connection = self.engine.connect()
            event.listen(self._connection, "before_cursor_execute", self._note_write)
            self._connection.begin()
        return self._connection

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(
                bind=self.connection, expire_on_commit=False, join_transaction_mode="rollback_only"
            )
            event.listen(self._session, "after_rollback", self._handler_rolled_back)
        return self._session

    def commit(self) -> None:
        """Everything the event wrote, in one commit. A busy database (nothing committed)
        raises ``DatabaseBusy``: the update ledger tries the event again."""
        try:
            if self._rolled_back_inside:
                raise RuntimeError("a handler rolled back the event's transaction")
            if self._session is not None:
                self._session.flush()
            if self._connection is not None:
                if not self._durable:
                    commit_without_flush_wait(self._connection)
                self._connection.commit()
        except Exception as error:
            if is_busy(error):
                raise DatabaseBusy(str(error)) from error
            raise
        finally:
            self.rollback()  # what is left to end: nothing after a commit

    def _note_write(
        self, _connection: Connection, _cursor: object, statement: str, *_: object
    ) -> None:
        if not self._bookkeeping and statement.lstrip()[:6].upper() in _WRITES:
            self._durable = True

    def _handler_rolled_back(self, _session: Session) -> None:
        self._rolled_back_inside = True

    def rollback(self) -> None:
        """Forget what the event wrote and give the connection back."""
        self._ended = True
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._connection is not None:
            self._connection.close()  # rolls back what was not committed
            self._connection = None


def current_unit(engine: Engine) -> EventUnit | None:
    """The unit open on ``engine`` in this task (the event being handled), if any."""
    unit = _current.get()
    return unit if unit is not None and unit.open and unit.engine is engine else None


@contextmanager
def bookkeeping(engine: Engine) -> Iterator[Connection | None]:
    """The connection of the event being handled, for the bookkeeping it writes beside
    its rows (see the module's docstring); None outside an event."""
    unit = current_unit(engine)
    if unit is None:
        yield None
        return
    unit._bookkeeping = True
    try:
        yield unit.connection
    finally:
        unit._bookkeeping = False


@contextmanager
def event_session(engine: Engine) -> Iterator[Session]:
    """The session of the event being handled (committed by its unit, once); outside an
    event, a unit of its own, committed when the block ends without an error."""
    unit = current_unit(engine)
    if unit is not None:
        yield unit.session
        return
    with EventUnit(engine) as own:
        yield own.session
        own.commit()
