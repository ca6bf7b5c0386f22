"""A head start's reads (:mod:`ci_deploy.head_start`) as plain data, and how they go out.

A platform declares its first reads as :class:`FirstRead` (``PlatformSpec.first_reads``); they
are sent through the standard library's ``http.client`` while the run is still importing httpx
and httpcore (~40 ms, measured here), with the TLS context every client of ours verifies with,
and a plain-HTTP ``*.localhost`` name on 127.0.0.1 as :mod:`ci_deploy.transports` maps it. What
comes back is an :class:`EarlyAnswer`, made an ``httpx.Response`` for the run's own request that
takes it.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPSConnection
from json import dumps, loads
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ci_deploy import USER_AGENT, tls
from ci_deploy.urls import is_loopback_name

if TYPE_CHECKING:
    import httpx

#: scheme and host (with its port) of a URL
Origin = tuple[str, str]

#: seconds an early read may take to connect, and then between bytes (httpx's read timeout)
TIMEOUT = 30.0


@dataclass(frozen=True)
class FirstRead:
    """A read a run sends first, as its adapter will send it (:mod:`ci_deploy.head_start`): a
    GET, or a call the interface names read-only though it is a POST (Cloudflare's
    check-missing, whose body is the list of hashes). Plain data, built with :meth:`of`: it
    goes out before the HTTP stack is imported."""

    method: str
    #: absolute, query included, exactly as the URL of the run's own request reads
    url: str
    #: ``Authorization`` (what the key compares) and, with a body, its ``Content-Type``
    headers: Mapping[str, str]
    #: a POST's JSON, encoded byte for byte as httpx encodes the run's own
    body: bytes | None = None
    #: work the follow-up reads need, done on the main thread once the first reads are on their way
    prepare: Callable[[], None] | None = None
    #: the reads this read's answer (a 200) makes possible: check-missing needs the upload
    #: token's JWT
    then: Callable[[EarlyAnswer], Sequence[FirstRead]] | None = None

    @classmethod
    def of(
        cls,
        method: str,
        url: str,
        bearer: str,
        json: Any = None,
        *,
        prepare: Callable[[], None] | None = None,
        then: Callable[[EarlyAnswer], Sequence[FirstRead]] | None = None,
    ) -> FirstRead:
        """The read of ``url`` with ``bearer`` (and a JSON body), as our clients send it."""
        headers = {"Authorization": f"Bearer {bearer}"}
        body = None
        if json is not None:
            # httpx 0.28's own encoding (``httpx._content.encode_json``): the body's digest is
            # part of the key the run's request must match
            text = dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            body = text.encode("utf-8")
            headers["Content-Type"] = "application/json"
        return cls(method, url, headers, body, prepare, then)


#: the raw inputs (trimmed, with the platform's env fallbacks) -> the run's first reads
FirstReads = Callable[[Mapping[str, str]], Sequence[FirstRead]]


@dataclass(frozen=True)
class EarlyAnswer:
    """What an early read was answered: made an ``httpx.Response`` for the run's request that
    claims it, by then with httpx imported."""

    status_code: int
    headers: list[tuple[str, str]]
    content: bytes

    def json(self) -> Any:
        return loads(self.content)

    def response_to(self, request: httpx.Request) -> httpx.Response:
        import httpx

        return httpx.Response(self.status_code, headers=self.headers, content=self.content, request=request)


def direct(url: str) -> bool:
    """True when the run's own request to ``url`` goes straight to its host, as an early read
    does: no proxy in the environment (httpx would apply it), and not a ``*.localhost`` name
    over HTTPS (httpx's transport reaches 127.0.0.1 and checks the certificate against the
    name; ``http.client`` cannot part the two)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and is_loopback_name(parts.hostname or ""):
        return False
    proxies = urllib.request.getproxies()
    return not ({parts.scheme, "all"} & proxies.keys())


def connection_for(origin: Origin) -> HTTPConnection:
    """An ``http.client`` connection to ``origin``: over TLS with our TLS context, and a
    plain-HTTP ``*.localhost`` name on 127.0.0.1 (as :mod:`ci_deploy.transports` maps it)."""
    parts = urlsplit(f"{origin[0]}://{origin[1]}")
    host = parts.hostname or ""
    if parts.scheme == "https":
        return HTTPSConnection(host, parts.port, timeout=TIMEOUT, context=tls.tls_context())
    return HTTPConnection("127.0.0.1" if is_loopback_name(host) else host, parts.port, timeout=TIMEOUT)


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def exchange(connection: HTTPConnection, read: FirstRead) -> EarlyAnswer:
    """Send ``read`` on ``connection`` and read its answer whole."""
    parts = urlsplit(read.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rpartition("@")[2]
    headers = {"Host": host, "User-Agent": USER_AGENT, "Accept": "*/*", **read.headers}
    connection.request(read.method, target, body=read.body, headers=headers)
    with connection.getresponse() as response:
        return EarlyAnswer(response.status, response.getheaders(), response.read())
