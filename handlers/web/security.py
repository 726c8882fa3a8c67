"""The web's cross-cutting rules, in one place: sessions, log-in required, CSRF, headers, the
client's address behind a proxy, and the log-in throttle.

Sessions live in an encrypted, signed cookie (aiohttp-session's EncryptedCookieStorage: Fernet,
AES-128-CBC with HMAC-SHA256). The key comes from LOTSE_SESSION_SECRET; without it a random key
is made once and kept in var/session.key (mode 0600), so sessions survive a restart of a local
installation. Every console route needs a logged-in session except the ones in PUBLIC; every
POST needs the session's CSRF token. Both are middlewares of the console's sub-application, so
a route added later is covered without anyone remembering to. A session is also a row in the
database (bot/accounts/service.py): log-out ends it for every copy of the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import Session, get_session, new_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.accounts.service import Account
from bot.config import SESSION_SECRET_ENV, Config

log = logging.getLogger(__name__)

COOKIE = "lotse_console"
ACCOUNT = web.RequestKey("lotse_account", Account)  # who is logged in, for the handlers
PUBLIC = frozenset({"console.login", "console.login_submit"})  # route names reachable without a session
# Requests the live queue and ticket pages make by themselves (their event streams, the parts they
# fetch): they are not a click, so they do not keep a session from ending after web.session_idle_minutes.
PASSIVE = frozenset({"console.queue_events", "console.queue_rows", "console.ticket_events", "console.ticket_live"})
# Uploads (handlers/web/files.py): their body is a stream the handler reads; it checks the CSRF token itself.
STREAMED = frozenset({"console.file"})
CSRF_EXPECTED = web.RequestKey("lotse_csrf_expected", str)  # the session's token, for a STREAMED handler

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def session_key(config: Config, environ: Mapping[str, str] | None = None) -> bytes:
    """The 32-byte cookie key (aiohttp-session encodes it for Fernet).

    Any LOTSE_SESSION_SECRET of at least 32 characters is accepted and stretched with SHA-256;
    several processes behind one proxy must share it.
    """
    environ = os.environ if environ is None else environ
    secret = environ.get(SESSION_SECRET_ENV, "").strip()
    if secret:
        if len(secret) < 32:
            raise ValueError(f"{SESSION_SECRET_ENV} must be at least 32 characters (e.g. `openssl rand -base64 32`)")
        return hashlib.sha256(secret.encode()).digest()
    path = config.base_dir / "var" / "session.key"
    return hashlib.sha256(_stored_key(path)).digest()


def _stored_key(path: Path) -> bytes:
    if path.exists():
        if path.stat().st_mode & 0o077:  # made by an older version, or copied around: only the owner reads it
            path.chmod(0o600)
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(descriptor, 0o600)  # whatever the umask
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key + b"\n")
    log.warning("no %s set: made a session key and kept it in %s", SESSION_SECRET_ENV, path)
    return key


def install_sessions(app: web.Application, config: Config, key: bytes) -> None:
    settings = config.web
    storage = EncryptedCookieStorage(
        key,
        cookie_name=COOKIE,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=settings.secure_cookies,
        max_age=int(settings.session_max_hours * 3600),
    )
    setup_sessions(app, storage)


def csrf_token(session: Session) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


async def start_session(request: web.Request, account: Account, accounts, max_age: timedelta) -> Session:
    """A fresh session for a successful login (never the one from before: no session fixation)."""
    session = await new_session(request)
    now = int(time.time())
    session.update(
        {
            "uid": account.id,
            "epoch": account.session_epoch,
            "at": now,
            "seen": now,
            "sid": await accounts.open_session(account, max_age),
            "csrf": secrets.token_urlsafe(32),
        }
    )
    return session


async def end_session(request: web.Request, accounts) -> None:
    """Log-out: the server forgets the session, so a copied cookie opens nothing either."""
    session = await get_session(request)
    if session.get("sid"):
        await accounts.end_session(str(session["sid"]))
    session.invalidate()


def trusted_networks(addresses: Iterable[str]) -> tuple:
    """config web.trusted_proxies as networks ("127.0.0.1", "10.0.0.0/8")."""
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def client_address(request: web.Request, trusted: tuple) -> str:
    """The client's address: the peer's, or behind a trusted proxy the nearest untrusted one in X-Forwarded-For.

    X-Forwarded-For is only read when the peer itself is a trusted proxy; anyone else could write it.
    """
    peer = request.remote or "?"
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):  # the right end was written by our proxy, the left by whoever asked
        if not _within(hop, trusted):
            return hop if _valid(hop) else peer
    return hops[0] if hops and _valid(hops[0]) else peer


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def username_tag(username: str) -> str:
    """What the log says about a failed log-in's user name: a short hash, never the text (it may be a password)."""
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:10]


def flash(session: Session, text: str, kind: str = "info") -> None:
    session["flash"] = (session.get("flash") or [])[-4:] + [[kind, text]]


class LoginThrottle:
    """Failed log-ins per client address and per (address, user name), in a sliding window.

    - one address and user name: after `per_user` failures that pair waits for the window;
    - one address: after `limit` failures it may only try user names it has not failed for yet
      (guessing many names is slowed; a colleague behind the same address logs in as usual).
    Nothing here is keyed on the user name alone, so nobody elsewhere can lock a known user out.
    """

    def __init__(self, limit: int = 30, window_seconds: float = 900, per_user: int = 5):
        self.limit = limit
        self.per_user = per_user
        self.window = window_seconds
        self._failures: dict[str, deque] = defaultdict(deque)
        self._pairs: dict[tuple[str, str], deque] = defaultdict(deque)

    def _recent(self, entries: deque) -> deque:
        cutoff = time.monotonic() - self.window
        while entries and entries[0] < cutoff:
            entries.popleft()
        return entries

    def clean(self, client: str, username: str = "") -> bool:
        """No recent failures from this address for this user name."""
        key = (client, username.strip().lower())
        return key not in self._pairs or not self._recent(self._pairs[key])

    def blocked(self, client: str, username: str = "") -> bool:
        key = (client, username.strip().lower())
        if key in self._pairs and len(self._recent(self._pairs[key])) >= self.per_user:
            return True
        return (
            client in self._failures
            and len(self._recent(self._failures[client])) >= self.limit
            and not self.clean(client, username)
        )

    def failed(self, client: str, username: str = "") -> None:
        now = time.monotonic()
        self._recent(self._failures[client]).append(now)
        self._recent(self._pairs[(client, username.strip().lower())]).append(now)
        if len(self._failures) > 10_000 or len(self._pairs) > 50_000:  # bounded memory under a spray
            self._failures.clear()
            self._pairs.clear()

    def succeeded(self, client: str, username: str) -> None:
        self._pairs.pop((client, username.strip().lower()), None)


def _refuse(request: web.Request) -> NoReturn:
    if request.method in ("GET", "HEAD"):
        target = request.path_qs if request.path.startswith("/console/") else "/console/"
        raise web.HTTPFound(f"/console/login?next={_quote(target)}")
    raise web.HTTPUnauthorized(text="log in first")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def safe_next(target: str | None) -> str:
    """Only a path inside the console (no //host, no scheme): no open redirect after login."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/queue"


def guard(
    config: Config, accounts, session_ended: Callable[[web.Request, str], Awaitable[web.StreamResponse]]
) -> Middleware:
    """The console's middleware: a session for every route but the login, CSRF on every POST.

    `session_ended`: the page for a form sent without a session, given the text it carried.
    """
    idle, longest = config.web.session_idle_minutes * 60, config.web.session_max_hours * 3600

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        session = await get_session(request)
        route = request.match_info.route.name
        if route not in PUBLIC:
            now = int(time.time())
            account = None
            if "uid" in session and now - session.get("seen", 0) <= idle and now - session.get("at", 0) <= longest:
                account = await accounts.current(session["uid"], session.get("epoch", -1), str(session.get("sid", "")))
            if account is None:
                session.invalidate()
                if request.method == "POST" and route not in STREAMED:  # what was written is kept on the page
                    unsent = str((await request.post()).get("text", "")).strip()
                    if unsent:
                        return await session_ended(request, unsent)
                _refuse(request)
            if route not in PASSIVE and now - session.get("seen", 0) > 60:  # rewrite the cookie at most once a minute
                session["seen"] = now
            request[ACCOUNT] = account
        if request.method not in ("GET", "HEAD", "OPTIONS") and route in STREAMED:
            request[CSRF_EXPECTED] = session.get("csrf") or ""
        elif request.method not in ("GET", "HEAD", "OPTIONS"):
            form = await request.post()
            given, expected = str(form.get("csrf", "")), session.get("csrf") or ""
            if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
                log.warning("console %s %s without a valid CSRF token", request.method, request.path)
                raise web.HTTPForbidden(text="The form has expired. Go back, reload the page and try again.")
        response = await handler(request)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware


@web.middleware
async def headers(request: web.Request, handler) -> web.StreamResponse:
    """Security headers on every page of the web chat and the console, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _set_headers(response)
        raise
    _set_headers(response)
    return response


def _set_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
