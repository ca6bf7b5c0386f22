"""The one HTTP client factory: timeouts, retries with backoff and ``Retry-After``, `.localhost`.

Every request ci-deploy makes (platform APIs, GitHub, health checks) goes through a client made
here, so proxies (``HTTPS_PROXY``/``NO_PROXY``), ``SSL_CERT_FILE`` and the loopback mapping of
``*.localhost`` (RFC 6761; Python's resolver does not do it) behave the same everywhere.

Retries are per request: each call to :func:`send` has its own budget, unlike a counter shared
across a whole upload. A request that is not idempotent (creating a deployment) is retried only
when the server provably did not act on it; when the outcome is unknown :class:`AmbiguousOutcome`
is raised so the caller can look for what it created before trying again.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import os
import random
import ssl
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ci_deploy import __version__

log = logging.getLogger("ci_deploy.http")

USER_AGENT = f"ci-deploy/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How one request is retried: attempts in all, exponential backoff with jitter, caps."""

    attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 16.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = field(
        default_factory=lambda: frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
    )

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential, with half of it jittered."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


class AmbiguousOutcome(Exception):
    """A non-idempotent request may or may not have been acted on (the connection broke after
    it was sent, or it timed out). The caller must look for the result before sending again."""

    def __init__(self, method: str, url: str, cause: BaseException) -> None:
        super().__init__(f"{method} {url}: {type(cause).__name__}: {cause}")
        self.cause = cause


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After`` (seconds or HTTP date), else an
    exhausted rate limit's ``x-ratelimit-reset`` (epoch seconds), else None."""
    value = response.headers.get("retry-after")
    current = time.time() if now is None else now
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - current)
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, float(reset) - current)
    return None


def is_rate_limited(response: httpx.Response) -> bool:
    """GitHub signals rate limits with 403 as well as 429; both carry a wait hint."""
    if response.status_code == 429:
        return True
    return response.status_code == 403 and retry_after_seconds(response) is not None


Body = bytes | str | Callable[[], Iterable[bytes]]


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    idempotent: bool = True,
    content: Body | None = None,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request, retrying faults with this request's own budget.

    ``content`` may be a callable returning a fresh iterable of chunks, so a streamed body can be
    replayed on retry without holding it in memory. ``deadline`` (a ``time.monotonic()`` value)
    stops retrying once a wait would cross it. Returns the last response, whatever its status:
    interpreting it is the caller's job.
    """
    attempt = 0
    while True:
        attempt += 1
        body = content() if callable(content) else content
        try:
            response = client.request(method, url, content=body, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never reached the server: always safe to send again.
            error: BaseException = exc
        except httpx.TransportError as exc:
            if not idempotent:
                raise AmbiguousOutcome(method, url, exc) from exc
            error = exc
        else:
            if response.status_code not in retry.statuses and not is_rate_limited(response):
                return response
            wait = retry_after_seconds(response)
            delay = min(wait, retry.max_retry_after) if wait is not None else retry.backoff(attempt)
            if attempt >= retry.attempts or _past(deadline, delay):
                return response
            response.close()
            log.info("%s %s answered %s; retrying in %.1fs", method, _path(url), response.status_code, delay)
            sleep(delay)
            continue
        delay = retry.backoff(attempt)
        if attempt >= retry.attempts or _past(deadline, delay):
            raise error
        log.info("%s %s failed (%s); retrying in %.1fs", method, _path(url), type(error).__name__, delay)
        sleep(delay)


def _past(deadline: float | None, delay: float) -> bool:
    return deadline is not None and time.monotonic() + delay > deadline


def _path(url: str) -> str:
    """The path of ``url`` without its query, which may carry ids but never belongs in a log."""
    return url.split("?", 1)[0]


class LoopbackTransport(httpx.HTTPTransport):
    """Connects ``*.localhost`` hosts to 127.0.0.1 while keeping the ``Host`` header, as curl and
    browsers do (RFC 6761); the resolvers of Python and Node here do not."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_loopback_name(request.url.host):
            # TLS must still check the certificate against the name, not the address.
            request.extensions = {**request.extensions, "sni_hostname": request.url.host}
            request.url = request.url.copy_with(host="127.0.0.1")
        return super().handle_request(request)


def is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def _proxy_bypasses_localhost() -> bool:
    """True unless an environment proxy would carry ``*.localhost`` traffic (NO_PROXY decides)."""
    proxies = urllib.request.getproxies()
    if not ({"http", "https", "all"} & proxies.keys()):
        return True
    return bool(urllib.request.proxy_bypass("ci-deploy.localhost"))


def _tls_context() -> ssl.SSLContext:
    """One TLS context per CA setting: building one (loading the CA bundle, or ``SSL_CERT_FILE``/
    ``SSL_CERT_DIR`` as httpx's ``trust_env`` does) costs far more than a request to loopback."""
    return _tls_context_for(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))


@functools.cache
def _tls_context_for(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=True)


def new_client(
    base_url: str = "",
    *,
    headers: Mapping[str, str] | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    follow_redirects: bool = False,
    max_connections: int = 16,
) -> httpx.Client:
    """A client with explicit timeouts, our User-Agent, environment proxies and CA settings
    (``trust_env``), and the ``.localhost`` loopback mapping unless a proxy is meant to take it."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    mounts: dict[str, httpx.BaseTransport | None] = {}
    if _proxy_bypasses_localhost():
        loopback = LoopbackTransport(limits=limits, verify=_tls_context())
        mounts = {"all://localhost": loopback, "all://*.localhost": loopback}
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    return httpx.Client(
        base_url=base_url,
        headers=all_headers,
        timeout=timeout,
        follow_redirects=follow_redirects,
        limits=limits,
        mounts=mounts,
        verify=_tls_context(),
        trust_env=True,
    )
