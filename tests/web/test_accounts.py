"""Console accounts: password hashing never runs in the event loop's thread (argon2 takes ~0.2 s of CPU)."""

from __future__ import annotations

import threading

import pytest

from bot.accounts import service
from bot.accounts.service import Accounts, LoginRefused
from bot.db import Database, prepare


@pytest.fixture
async def accounts(tmp_path, config):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        yield Accounts(database, config.tickets.teams)


async def test_hashing_and_checking_passwords_run_off_the_event_loop(accounts, monkeypatch):
    loop_thread = threading.get_ident()
    threads: list[int] = []

    class RecordingHasher:
        """argon2's PasswordHasher, noting the thread of every hash and verify."""

        def __init__(self, hasher):
            self.hasher = hasher

        def hash(self, password: str) -> str:
            threads.append(threading.get_ident())
            return self.hasher.hash(password)

        def verify(self, hashed: str, password: str) -> bool:
            threads.append(threading.get_ident())
            return self.hasher.verify(hashed, password)

        def check_needs_rehash(self, hashed: str) -> bool:
            return self.hasher.check_needs_rehash(hashed)

    monkeypatch.setattr(service, "_hasher", RecordingHasher(service._hasher))
    service._dummy_hash.cache_clear()  # made on first use: the unknown user below hashes it, off the loop too
    await accounts.add("anna", "correct horse battery", ["authority"], "Anna")
    assert (await accounts.login("anna", "correct horse battery")).username == "anna"
    with pytest.raises(LoginRefused):
        await accounts.login("anna", "wrong password here")
    with pytest.raises(LoginRefused):
        await accounts.login("nobody", "whatever it is")
    await accounts.passwd("anna", "another horse battery")
    assert len(threads) == 6 and loop_thread not in threads
