"""PTB's HTTP transport on aiohttp instead of httpx.

PTB talks to the Bot API through a `BaseRequest`; its own is built on httpx. The bot already runs
aiohttp (webhook server, web pages), and aiohttp's client costs a fraction of httpx's CPU per call:
httpcore checks every pooled connection with poll(2) twice per request, builds a request model
and reads the body through several async iterators (figures: docs/performance.md).

PTB's semantics are kept: the same timeouts (None = wait forever), the same parameters, `TimedOut` for timeouts and
`NetworkError` for everything else that goes wrong on the way; status codes and error bodies
are PTB's business (BaseRequest._request_wrapper). Parameters go as a JSON body, which the Bot API
accepts for every method except file uploads (those go as multipart/form-data): percent-encoding
a long answer for a form body, byte by byte in Python's urllib, cost more than all the rest of
sending it.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

JSON = {"Content-Type": "application/json"}
_UNSET = type(BaseRequest.DEFAULT_NONE)  # PTB's marker for "the transport's default timeout"
_NO_PROXY = (None, None)


def _env_proxy(origin: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy HTTPS_PROXY/HTTP_PROXY (and NO_PROXY, ~/.netrc) name for an origin, as aiohttp reads them."""
    try:
        return get_env_proxy_for_url(URL(origin))
    except LookupError:
        return _NO_PROXY


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of `connections` to the Bot API.

    Args:
        connections: connections kept open at most; a request finding all busy waits for one
            (within `pool_timeout`).
        connect_timeout, read_timeout, pool_timeout: seconds, PTB's defaults; None waits forever.
            PTB's write timeout has no counterpart in aiohttp and is ignored: sending a small
            request is bounded by the connection's socket buffers (Lotse uploads no files).
    """

    def __init__(
        self,
        connections: int = 1,
        *,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ):
        self._connections = connections
        self._defaults = {"connect": connect_timeout, "read": read_timeout, "pool": pool_timeout}
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple, aiohttp.ClientTimeout] = {}
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._defaults["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Proxies from the environment are honoured as by PTB's httpx transport, but looked up once
            # per origin (`_proxy`): aiohttp's trust_env reads them in a thread on every request.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        origin = url[: url.find("/", url.find("//") + 2)] if url.count("/") > 2 else url
        proxy = self._proxies.get(origin)
        if proxy is None:  # once per origin (the Bot API's): it may read ~/.netrc, so not in the loop's thread
            proxy = self._proxies[origin] = await asyncio.to_thread(_env_proxy, origin)
        return proxy

    def _timeout(self, read, connect, pool) -> aiohttp.ClientTimeout:
        read, connect, pool = (
            self._defaults[name] if isinstance(value, _UNSET) else value
            for value, name in ((read, "read"), (connect, "connect"), (pool, "pool"))
        )
        key = (read, connect, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:  # a handful of combinations in practice: each built once
            timeout = aiohttp.ClientTimeout(
                total=None,
                sock_connect=connect,
                sock_read=read,
                connect=None if pool is None or connect is None else pool + connect,
            )  # aiohttp: pool wait + connect
            self._timeouts[key] = timeout
        return timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None and request_data.multipart_data:
            body = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                body.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data is not None and request_data.parameters:
            body, headers = json.dumps(request_data.parameters, ensure_ascii=False).encode(), JSON
        proxy, proxy_auth = await self._proxy(url)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                raise TimedOut(
                    "Timed out waiting for a connection to the Bot API (all pooled connections busy, "
                    "or connecting took too long); the request was not sent"
                ) from exc
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
