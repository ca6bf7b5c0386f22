"""Lanes: the upload fan-out's connections, one per coroutine, all on one thread.

Vercel's protocol is one request per file, and far from the server a deploy of many files is
bound by how many are in flight. With a thread per upload, 128 threads contend for one
interpreter lock and the kernel hands it around: measured here on 10,000 files at 100 ms, 11.2 s
of CPU (3.8 s of it system time) and 12.3 s on the clock; as coroutines on one event loop, 7.9 s
and 10.6 s, in less memory (1,000 files: even).

A :class:`Lane` owns one connection (one coroutine sends on it at a time) and hands its requests
straight to the transport a client from :func:`ci_deploy.http.new_client` would use for the URL
(our TLS settings, the ``.localhost`` mapping), skipping the client's per-request work (URL
merging, cookies, redirects) that a fan-out has no use for; :func:`send_async`
gives it the same retries. Below the transport there is no connection pool either, only
:class:`OneConnection` on asyncio's own streams (:mod:`ci_deploy.asyncio_network`): per upload,
httpcore's pool and anyio cost more CPU than the request itself. Under an environment proxy a
lane is a one-connection ``httpx.AsyncClient`` instead: proxy rules stay httpx's own.
"""

from __future__ import annotations

import functools
import ssl
import urllib.request
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

import httpcore
import httpx

from ci_deploy import USER_AGENT, http, tls, transports
from ci_deploy.urls import is_loopback_name

#: seconds an idle connection is kept for the next upload (httpx's default)
KEEPALIVE_EXPIRY = 5.0


class Lane:
    """One connection to ``base_url`` with fixed headers (the token), for one coroutine at a time."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: httpx.Timeout) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": USER_AGENT, **headers}
        self._timeout = timeout.as_dict()
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        loopback = is_loopback_name(_parsed(self._base_url, ()).host)
        transport = transports.AsyncLoopbackTransport if loopback else httpx.AsyncHTTPTransport
        context = tls.tls_context()
        self._transport = transport(verify=context, limits=limits)
        # httpx 0.28 sends through its transport's ``_pool`` (pinned in pyproject; tests/test_lanes.py
        # fails if that changes); test doubles patch the transport above it and still apply.
        self._transport._pool = OneConnection(context)  # type: ignore[assignment]
        self.is_closed = False

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | AsyncIterable[bytes] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request (``url`` relative to the lane's base, or absolute); the answer's
        body is still to be read, as with ``httpx.AsyncClient.request``."""
        absolute = url if "://" in url else self._base_url + "/" + url.lstrip("/")
        request = httpx.Request(
            method,
            _parsed(absolute, tuple((params or {}).items())),
            headers={**self._headers, **(headers or {})},
            content=content,
            extensions={"timeout": self._timeout},
        )
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.TransportError as error:
            raise _described(error, request) from error
        response.request = request
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()
        self.is_closed = True


@functools.lru_cache(maxsize=64)
def _parsed(url: str, query: tuple[tuple[str, str], ...]) -> httpx.URL:
    """``url`` with ``query``, parsed once: a fan-out sends every file to the same URL (measured
    here: building a request took ~50 µs from the string, ~20 µs from the parsed URL, of the
    ~0.6 ms of client CPU an upload costs). httpx URLs are immutable, so one is shared."""
    return httpx.URL(url, params=query or None)


class OneConnection:
    """What an ``httpcore`` pool does for a lane, for one connection: open it on the first
    request, a new one when the server has closed it or its keep-alive has expired, and send once
    more on a fresh one when the old turned out to be gone before the request left
    (``ConnectionNotAvailable``, as the pool does).

    The connection is httpcore's HTTP/1.1 one, opened here rather than by
    ``httpcore.AsyncHTTPConnection``: that wrapper and the HTTP/1.1 connection guard each request
    with anyio locks, whose every acquire yields to the event loop once, so that requests sharing
    a connection take turns. A lane's connection has one user, and the locks were a quarter of an
    upload's CPU in httpcore (measured here: 1,000 uploads of 20 KiB, ~0.30 ms of CPU each
    with them, ~0.22 ms without), and the first of them cost the run anyio's event-loop module."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        # Only a deploy that uploads pays for the event loop's import.
        from ci_deploy.asyncio_network import AsyncioBackend

        self._ssl_context = ssl_context
        self._backend = AsyncioBackend()
        self._connection: httpcore.AsyncHTTP11Connection | None = None

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        try:
            connection = await self._connection_for(request)
            return await connection.handle_async_request(request)
        except httpcore.ConnectionNotAvailable:
            await self.aclose()
            connection = await self._connection_for(request)
            return await connection.handle_async_request(request)

    async def _connection_for(self, request: httpcore.Request) -> httpcore.AsyncHTTP11Connection:
        connection = self._connection
        origin = request.url.origin
        if connection is not None and _reusable(connection, origin):
            return connection
        await self.aclose()
        timeout = request.extensions.get("timeout", {}).get("connect")
        host = origin.host.decode("ascii")
        stream = await self._backend.connect_tcp(host, origin.port, timeout=timeout)
        if origin.scheme == b"https":
            self._ssl_context.set_alpn_protocols(["http/1.1"])
            # a *.localhost name sent to 127.0.0.1 (ci_deploy.transports) is still the name to check
            name = request.extensions.get("sni_hostname") or host
            try:
                stream = await stream.start_tls(self._ssl_context, server_hostname=name, timeout=timeout)
            except BaseException:
                await stream.aclose()
                raise
        self._connection = httpcore.AsyncHTTP11Connection(origin, stream, keepalive_expiry=KEEPALIVE_EXPIRY)
        # httpcore's lock for requests that share the connection; a lane's never do (httpcore is
        # pinned in pyproject; tests/test_lanes.py fails if the attribute goes)
        self._connection._state_lock = _OneUser()  # type: ignore[assignment]
        return self._connection

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()


class _OneUser:
    """The lock of a connection only one coroutine ever uses: nothing to wait for."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _reusable(connection: httpcore.AsyncHTTP11Connection, origin: httpcore.Origin) -> bool:
    """Open, not expired, and to ``origin``."""
    return connection.can_handle_request(origin) and not (connection.is_closed() or connection.has_expired())


async def send_async(
    lane: Lane | httpx.AsyncClient,
    method: str,
    url: str,
    *,
    content: bytes | Callable[[], AsyncIterable[bytes]],
    sleep: http.Sleep | None = None,
    clock: http.Clock | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """:func:`ci_deploy.http.send` for an idempotent request on a lane (the upload
    fan-out): the same retries, waits and budget, awaited. A test's fake sleep is called as is."""
    budget = http.Budget(http.DEFAULT_RETRY, sleep=sleep, clock=clock)
    while True:
        body = content() if callable(content) else content
        try:
            response = await lane.request(method, url, content=body, **kwargs)
        except httpx.TransportError as exc:
            await budget.pause_async(http.delay_after_error(budget, method, url, exc, idempotent=True))
            continue
        delay = http.delay_after_answer(budget, method, url, response)
        if delay is None:
            return response
        await response.aclose()
        await budget.pause_async(delay)


def _described(error: httpx.TransportError, request: httpx.Request) -> httpx.TransportError:
    """``error`` naming its request, as a client's errors do, and its reason: the event loop's
    transport raises them empty (a reset is ``ReadError('')`` over anyio's, over the OS's
    ``Connection reset by peer``), and the run's error line would say nothing."""
    reason: BaseException | None = error
    while reason is not None and not str(reason):
        reason = reason.__cause__ or reason.__context__
    return type(error)(str(reason or "no reason given"), request=request)


def lane_maker(base_url: str, headers: Mapping[str, str]) -> Callable[[], Lane | httpx.AsyncClient]:
    """What makes a fan-out's lanes to ``base_url``: :class:`Lane`, or under an environment proxy
    a one-connection client made as :func:`ci_deploy.http.new_client` makes its own, so httpx
    applies the proxy rules. The environment is read here, once: read per lane, it was ~0.3 ms
    each, 256 of them before the first upload could leave."""
    if not urllib.request.getproxies():
        return functools.partial(Lane, base_url, headers, http.DEFAULT_TIMEOUT)

    def proxied_lane() -> httpx.AsyncClient:  # options made anew: each holds a transport of its own
        loopback = transports.AsyncLoopbackTransport
        return httpx.AsyncClient(**http.client_options(base_url, headers, http.DEFAULT_TIMEOUT, 1, loopback))

    return proxied_lane
