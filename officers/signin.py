"""Sign-in links and admins' passwords, sessions and CSRF tokens (no web library here).

An officer asks the bot for a link (``/login``, WeChat ``登录``); the link carries a random
token whose SHA-256 alone is stored. Redeeming it is one conditional UPDATE (unused and
not expired), so a link works once, even with two browsers racing. The session cookie is
another random token, stored the same way; a form's CSRF token is an HMAC of the session
under the process's secret, so it needs no storage and dies with the session. Station
and city admins may also have a password (argon2id, set with `jingmin admin create`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from core.db import AuditEntry, ConsoleLoginLink, ConsoleSession, Officer, as_utc
from guard.pii import mask_pii

TOKEN_BYTES = 32
MIN_PASSWORD = 12  # characters; an admin's password signs in without the chat
NAME_LIMIT = 40
# argon2id with the library's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes).
PASSWORDS = PasswordHasher()


@cache
def nobody_hash() -> str:
    """The hash checked when no admin has the name. Made on first use, not at import:
    hashing takes ~0.17 s and 64 MB (argon2's memory cost) that `jingmin run` without
    the console never needs. The console makes it when it starts (``create_app``), so
    even the first sign-in with an unknown name costs one verification, like the rest."""
    return PASSWORDS.hash(secrets.token_urlsafe(16))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def record(
    db: Session, officer: Officer | None, action: str, origin: str, detail: str = ""
) -> None:
    """One audit row for a console action: who, what, from where (``at`` is when)."""
    who = f"console:{officer.name}" if officer is not None else "console:anonymous"
    where = f"from {origin}" if origin else ""
    db.add(
        AuditEntry(
            actor=who, action=action, detail=mask_pii(" ".join(filter(None, (where, detail))))
        )
    )


def issue_link(db: Session, officer: Officer, now: datetime, minutes: int) -> str:
    """A new one-time sign-in token for ``officer`` (committed); only its hash is kept."""
    assert officer.id is not None
    token = new_token()
    db.add(
        ConsoleLoginLink(
            token_hash=digest(token),
            officer_id=officer.id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    record(db, officer, "sign-in link issued", "chat")
    db.commit()
    return token


def redeem_link(db: Session, token: str, now: datetime) -> Officer | None:
    """The officer the link was for, if it is unused and not expired; it is used up now.
    ``None`` for an unknown, expired or already used link (told apart in the audit)."""
    if not token or len(token) > 200:
        return None
    hashed = digest(token)
    db.commit()  # a fresh transaction: the UPDATE below decides, not an old snapshot
    used = db.connection().execute(
        update(ConsoleLoginLink)
        .where(
            col(ConsoleLoginLink.token_hash) == hashed,
            col(ConsoleLoginLink.used_at).is_(None),
            col(ConsoleLoginLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    link = db.exec(select(ConsoleLoginLink).where(ConsoleLoginLink.token_hash == hashed)).first()
    if used.rowcount != 1 or link is None:
        db.rollback()
        return None
    return db.get(Officer, link.officer_id)


def link_problem(db: Session, token: str, now: datetime) -> str:
    """Why a link was refused, for the audit row (never shown: all refusals look alike)."""
    link = db.exec(
        select(ConsoleLoginLink).where(ConsoleLoginLink.token_hash == digest(token[:200]))
    ).first()
    if link is None:
        return "unknown link"
    if link.used_at is not None:
        return "link already used"
    return "link expired" if as_utc(link.expires_at) <= now else "refused"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return PASSWORDS.hash(password)


def _verifies(stored: str, password: str) -> bool:
    try:
        return PASSWORDS.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_officer(db: Session, name: str, password: str) -> Officer | None:
    """The active station or city admin of that name whose password this is. A name
    without such an admin costs one verification too: the time tells nothing."""
    candidates = db.exec(
        select(Officer).where(
            Officer.name == name.strip()[:NAME_LIMIT],
            col(Officer.active),
            col(Officer.password_hash).is_not(None),
            or_(col(Officer.admin), col(Officer.city_admin)),
        )
    ).all()
    if not candidates or not password or len(password) > 1024:
        _verifies(nobody_hash(), password[:1024])
        return None
    for officer in candidates:
        assert officer.password_hash is not None
        if _verifies(officer.password_hash, password):
            if PASSWORDS.check_needs_rehash(officer.password_hash):
                officer.password_hash = PASSWORDS.hash(password)
                db.add(officer)
            return officer
    return None


def start_session(db: Session, officer: Officer, now: datetime, hours: int, origin: str) -> str:
    """A new session for ``officer`` (committed with the caller's audit row); its token."""
    assert officer.id is not None
    token = new_token()
    db.add(
        ConsoleSession(
            token_hash=digest(token),
            officer_id=officer.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            origin=origin[:64],
        )
    )
    return token


def session_officer(
    db: Session, token: str, now: datetime
) -> tuple[ConsoleSession, Officer] | None:
    if not token or len(token) > 200:
        return None
    row = db.exec(select(ConsoleSession).where(ConsoleSession.token_hash == digest(token))).first()
    if row is None or row.ended_at is not None or as_utc(row.expires_at) <= now:
        return None
    officer = db.get(Officer, row.officer_id)
    return (row, officer) if officer is not None and officer.active else None


def end_session(db: Session, row: ConsoleSession, now: datetime) -> None:
    row.ended_at = now
    db.add(row)


def csrf_token(secret: bytes, session_token_hash: str) -> str:
    return hmac.new(secret, f"csrf:{session_token_hash}".encode(), hashlib.sha256).hexdigest()


def same(expected: str, offered: str) -> bool:
    """Constant-time equality of two strings, whatever characters were offered
    (``compare_digest`` refuses non-ASCII ``str``: compare the bytes)."""
    return hmac.compare_digest(expected.encode(), offered.encode())


def csrf_ok(secret: bytes, session_token_hash: str, offered: str) -> bool:
    return same(csrf_token(secret, session_token_hash), offered)


MAX_KEYS = 10_000  # addresses or names remembered at once


@dataclass
class AttemptLimit:
    """At most ``limit`` attempts per ``window`` for one key: an address, or a name an
    admin signs in with. Enough for a person, too few to guess. In memory: one console
    process per deployment. Memory is bounded: past ``MAX_KEYS`` keys, those with no try
    in the window are forgotten, and while all are recent a new key is refused (a flood
    from many addresses closes sign-in for the window rather than filling the memory)."""

    limit: int = 10
    window: timedelta = timedelta(minutes=10)
    _seen: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # pages run on threads

    def allow(self, key: str, now: datetime) -> bool:
        with self._lock:
            return self._allow(key, now)

    def _allow(self, key: str, now: datetime) -> bool:
        if key not in self._seen and len(self._seen) >= MAX_KEYS:
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window}
            if len(self._seen) >= MAX_KEYS:
                return False
        attempts = self._seen.setdefault(key, deque())
        while attempts and attempts[0] <= now - self.window:
            attempts.popleft()
        if len(attempts) >= self.limit:
            return False
        attempts.append(now)
        return True
