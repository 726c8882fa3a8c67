"""The console's accounts: create, change password, disable, and log in with a lock-out.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).
After `max_failures` wrong passwords in a row an account is locked for `lock_minutes`; while it
is locked the right password is refused too, except from a client the web layer vouches for (no
recent failures for this account from its address), so that a guesser cannot lock a known
colleague out for good. The answer is the same for every refusal, so that a guesser learns nothing
about which accounts exist or are locked.

Sessions are rows (web_sessions): the cookie carries a random id whose hash is stored; log-out
deletes the row, a new password or disabling deletes all of the account's rows.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.models import WebSession, WebUser
from bot.db.engine import Database
from bot.db.models import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so that the answer takes as long as for a known one.
    Made on first use, not at import: hashing takes 0.2 s that every start-up would wait for."""
    return _hasher.hash("lotse-no-such-user")


class AccountError(Exception):
    """An account command that cannot be done; the message says why."""


class LoginRefused(Exception):
    """Wrong username or password, a locked or a disabled account (deliberately one error)."""


@dataclass(frozen=True)
class Account:
    """What the web layer knows of a logged-in person."""

    id: int
    username: str
    display_name: str
    teams: tuple[str, ...]
    editor: bool
    session_epoch: int

    @classmethod
    def of(cls, row: WebUser) -> Account:
        return cls(row.id, row.username, row.display_name, tuple(row.teams or ()), bool(row.editor), row.session_epoch)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("the password is too long (at most 1024 characters)")


class Accounts:
    """The account rules over the web_users table.

    Args:
        database: the bot's database.
        teams: the team keys of config.yml (tickets.teams); accounts may only name these.
        max_failures: wrong passwords in a row before the account is locked.
        lock_minutes: how long it stays locked.
        clock: the current time (tests pass a fake one).
    """

    def __init__(
        self,
        database: Database,
        teams: Iterable[str],
        *,
        max_failures: int = 5,
        lock_minutes: float = 15,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.database = database
        self.teams = tuple(teams)
        self.max_failures = max_failures
        self.lock = timedelta(minutes=lock_minutes)
        self.clock = clock

    def _check_teams(self, teams: Iterable[str]) -> list[str]:
        teams = list(dict.fromkeys(teams))
        unknown = [team for team in teams if team not in self.teams]
        if unknown:
            raise AccountError(
                f"unknown team {', '.join(unknown)}; config.yml tickets.teams has {', '.join(self.teams)}"
            )
        return teams

    async def add(
        self, username: str, password: str, teams: Iterable[str], display_name: str = "", editor: bool = False
    ) -> Account:
        """Create an account. Raises AccountError: bad name, taken, weak password, unknown team."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError("a username is 2-64 characters of a-z 0-9 . _ - (starting with a letter or digit)")
        check_password(password)
        teams = self._check_teams(teams)
        if not teams and not editor:
            raise AccountError("give at least one --team (or --editor for an editor without a team)")
        now = self.clock()
        password_hash = await _hash(password)  # before the transaction: no lock held for 0.2 s
        async with self.database.transaction() as session:
            if (await session.execute(select(WebUser.id).where(WebUser.username == username))).first():
                raise AccountError(f"the account {username} exists already (use passwd to change its password)")
            row = WebUser(
                username=username,
                display_name=display_name.strip() or username,
                password_hash=password_hash,
                teams=teams,
                editor=editor,
                disabled=False,
                failed_logins=0,
                session_epoch=1,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            return Account.of(row)

    async def _change(self, username: str, **values) -> None:
        async with self.database.transaction() as session:
            done = cast(
                CursorResult[Any],
                await session.execute(
                    update(WebUser)
                    .where(WebUser.username == username.strip().lower())
                    .values(updated_at=self.clock(), session_epoch=WebUser.session_epoch + 1, **values)
                ),
            )
            if done.rowcount != 1:
                raise AccountError(f"no account {username}")
            user_id = select(WebUser.id).where(WebUser.username == username.strip().lower()).scalar_subquery()
            await session.execute(delete(WebSession).where(WebSession.user_id == user_id))

    async def passwd(self, username: str, password: str) -> None:
        """Set a new password; unlocks the account and ends its sessions."""
        check_password(password)
        await self._change(username, password_hash=await _hash(password), failed_logins=0, locked_until=None)

    async def disable(self, username: str) -> None:
        """Refuse every further login and end the account's sessions (its audit trail stays)."""
        await self._change(username, disabled=True)

    async def enable(self, username: str) -> None:
        await self._change(username, disabled=False, failed_logins=0, locked_until=None)

    async def set_teams(self, username: str, teams: Iterable[str]) -> None:
        await self._change(username, teams=self._check_teams(teams))

    async def list(self) -> list[WebUser]:
        async with self.database.read() as session:
            return list((await session.execute(select(WebUser).order_by(WebUser.username))).scalars())

    async def open_session(self, account: Account, max_age: timedelta) -> str:
        """A new session for a successful log-in; returns its id for the cookie (sessions past max_age go)."""
        session_id = secrets.token_urlsafe(32)
        async with self.database.transaction() as session:
            await session.execute(delete(WebSession).where(WebSession.created_at < self.clock() - max_age))
            session.add(WebSession(id=_digest(session_id), user_id=account.id, created_at=self.clock()))
        return session_id

    async def end_session(self, session_id: str) -> None:
        """Log-out: the session's cookie, and every copy of it, opens nothing any more."""
        async with self.database.transaction() as session:
            await session.execute(delete(WebSession).where(WebSession.id == _digest(session_id)))

    async def current(self, user_id: int, epoch: int, session_id: str) -> Account | None:
        """The account behind a session, if it may still act (not logged out, not disabled, no newer password)."""
        async with self.database.read() as session:
            row = (
                await session.execute(
                    select(WebUser)
                    .join(WebSession, WebSession.user_id == WebUser.id)
                    .where(WebUser.id == user_id, WebSession.id == _digest(session_id))
                )
            ).scalar_one_or_none()
        if row is None or row.disabled or row.session_epoch != epoch:
            return None
        return Account.of(row)

    async def login(self, username: str, password: str, *, vouched: bool = False) -> Account:
        """Check a password, counting failures and locking after too many.

        Args:
            vouched: the client has no recent failures for this account (the web layer's throttle
                knows): a lock-out made by others does not refuse its right password.

        Raises:
            LoginRefused: for every reason alike (unknown, wrong, locked, disabled).
        """
        username = username.strip().lower()[:64]
        now = self.clock()
        # argon2 takes about 0.2 s of CPU: it runs in a thread, outside any transaction, so that neither
        # the event loop (health checks, webhooks) nor SQLite's writer waits for it.
        async with self.database.read() as session:
            row = (await session.execute(select(WebUser).where(WebUser.username == username))).scalar_one_or_none()
        if row is None:
            await asyncio.to_thread(lambda: _verify(_dummy_hash(), password))
            raise LoginRefused(username)
        right = await asyncio.to_thread(_verify, row.password_hash, password)
        locked = row.locked_until is not None and row.locked_until > now
        if (locked and not (vouched and right)) or row.disabled:
            raise LoginRefused(username)
        if not right:
            async with self.database.transaction() as session:
                row = await _user_again(session, row.id, username)
                row.failed_logins += 1
                if row.failed_logins >= self.max_failures:
                    row.failed_logins, row.locked_until = 0, now + self.lock
            raise LoginRefused(username)
        rehashed = await _hash(password) if _hasher.check_needs_rehash(row.password_hash) else None
        async with self.database.transaction() as session:
            row = await _user_again(session, row.id, username)
            row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
            if rehashed is not None:
                row.password_hash = rehashed
            return Account.of(row)


async def _user_again(session: AsyncSession, user_id: int, username: str) -> WebUser:
    """The account read before the password check, re-read in this transaction; removed meanwhile: refused."""
    row = await session.get(WebUser, user_id)
    if row is None:
        raise LoginRefused(username)
    return row


async def _hash(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
