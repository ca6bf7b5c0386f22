"""The one HTTP client factory: timeouts, retries with backoff and ``Retry-After``, `.localhost`.

Every request ci-deploy makes (platform APIs, GitHub, health checks) goes through a client made
here, so proxies (``HTTPS_PROXY``/``NO_PROXY``), ``SSL_CERT_FILE`` and the loopback mapping of
``*.localhost`` (RFC 6761; Python's resolver does not do it) behave the same everywhere.

Retries are per request and bounded by TIME, not by a count: each call to :func:`send` may spend
:data:`RETRY_BUDGET` seconds (and never pass the run's deadline) riding out 429s, 5xx, 524s, resets
and timeouts, so an outage of half a minute costs time, not the deploy. A request that is not
idempotent is never resent after a dropped connection or a timeout (:class:`AmbiguousOutcome`
is raised), and a create (a deployment, a comment: :data:`CREATE_RETRY`) is resent only after an
answer proving it was not acted on (429): a 5xx goes back to the caller, which looks for what it
may have created before sending again, with a :class:`Budget` of its own.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ci_deploy import USER_AGENT, head_start, tls, transports
from ci_deploy.ratelimit import is_rate_limited, retry_after_seconds

log = logging.getLogger("ci_deploy.http")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

#: seconds one request may spend on retries, from its first attempt: a 30 s outage is ridden out
RETRY_BUDGET = 90.0
#: answers that may come and go: rate limits, gateway errors, Cloudflare's 52x
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: answers that say the request was NOT acted on: safe to resend even when it creates something
NOT_ACTED_ON = frozenset({408, 425, 429})

Sleep = Callable[[float], None]
Clock = Callable[[], float]

#: how retries wait and tell time when the caller passes nothing; the seam for tests of whole
#: runs (``ci-deploy action``), which replace both with a fake clock to ride out long outages
default_sleep: Sleep = time.sleep
default_clock: Clock = time.monotonic


@dataclass(frozen=True)
class RetryPolicy:
    """How one request is retried: for up to ``budget`` seconds (optionally at most ``attempts``
    sends), with capped exponential backoff and jitter, on the answers in ``statuses``."""

    budget: float = RETRY_BUDGET
    attempts: int | None = None
    base_delay: float = 0.5
    max_delay: float = 10.0
    statuses: frozenset[int] = TRANSIENT_STATUSES

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based): exponential up to ``max_delay``, with
        half of it jittered so many clients hit by one outage do not come back in step."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


DEFAULT_RETRY = RetryPolicy()
#: for a request that creates something a second copy of which would be a duplicate: only the
#: answers that prove it was not acted on are resent; a 5xx goes back to the caller to resolve
CREATE_RETRY = RetryPolicy(statuses=NOT_ACTED_ON)


class Budget:
    """What one logical request may still spend on retries: started when made, spent when the
    policy's ``budget`` (or ``attempts``) runs out or a wait would cross ``deadline`` (a value of
    ``clock``; the run's overall bound). Elapsed time is the clock's but never less than the waits
    already made, so a sleep that does not move the clock (a test's) still spends the budget."""

    def __init__(
        self,
        policy: RetryPolicy = DEFAULT_RETRY,
        *,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        deadline: float | None = None,
    ) -> None:
        self.policy = policy
        self._sleep = sleep or default_sleep
        self._clock = clock or default_clock
        self._deadline = deadline
        self._started = self._clock()
        self._waited = 0.0
        self.retries = 0

    @property
    def elapsed(self) -> float:
        return max(self._clock() - self._started, self._waited)

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """The wait before the next attempt (backoff, or the server's ``retry_after`` when it asks
        for longer), or None when that attempt would overrun the attempts, budget or deadline."""
        self.retries += 1
        delay = self.policy.backoff(self.retries)
        if retry_after is not None:  # the server's wait, but no faster than backoff (not "0" in a loop)
            delay = max(delay, retry_after)
        if self.policy.attempts is not None and self.retries >= self.policy.attempts:
            return None
        elapsed = self.elapsed
        if elapsed + delay > self.policy.budget:
            return None
        if self._deadline is not None and self._started + elapsed + delay > self._deadline:
            return None
        return delay

    def pause(self, delay: float) -> None:
        """Wait ``delay`` seconds, but never past the budget (a lookup's settle spends it too)."""
        delay = max(0.0, min(delay, self.policy.budget - self.elapsed))
        self._sleep(delay)
        self._waited += delay

    async def pause_async(self, delay: float) -> None:
        """:meth:`pause` in a coroutine: the real sleep is awaited, a fake one (a test's) called."""
        import asyncio  # only the upload fan-out runs coroutines; most runs never import it

        delay = max(0.0, min(delay, self.policy.budget - self.elapsed))
        if self._sleep is time.sleep:
            await asyncio.sleep(delay)
        else:
            self._sleep(delay)
        self._waited += delay

    def wait(self, reason: str, retry_after: float | None = None) -> bool:
        """Wait before the next attempt, logging ``reason``; False (no wait) when spent."""
        delay = self.next_delay(retry_after)
        if delay is None:
            return False
        log.info("%s; retrying in %.1fs", reason, delay)
        self.pause(delay)
        return True


class AmbiguousOutcome(Exception):
    """A non-idempotent request may or may not have been acted on (the connection broke after
    it was sent, or it timed out). The caller must look for the result before sending again."""

    def __init__(self, method: str, url: str, cause: BaseException) -> None:
        super().__init__(f"{method} {url}: {type(cause).__name__}: {cause}")
        self.cause = cause


#: what a call raises when no answer came, its retries spent: a step that reports rather than
#: fails (custom domains, GitHub) or says what is already live catches these beside refusals
NO_ANSWER = (httpx.TransportError, AmbiguousOutcome)


def no_answer_reason(error: BaseException) -> str:
    """``ReadError: [Errno 104] Connection reset by peer``: why a call got no answer."""
    cause = error.cause if isinstance(error, AmbiguousOutcome) else error
    return f"{type(cause).__name__}: {cause}".rstrip(": ")


Body = bytes | str | Callable[[], Iterable[bytes]]


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
    idempotent: bool = True,
    content: Body | None = None,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
    deadline: float | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request, retrying faults within this request's own :class:`Budget`.

    ``content`` may be a callable returning a fresh iterable of chunks, so a streamed body can be
    replayed on retry without holding it in memory. ``deadline`` (a value of ``clock``, default
    ``time.monotonic()``) stops retrying once a wait would cross it. Returns the last response,
    whatever its status: interpreting it is the caller's job.
    """
    early = head_start.answer(client, method, url, kwargs)
    if early is not None:
        return early
    budget = Budget(retry, sleep=sleep, clock=clock, deadline=deadline)
    while True:
        body = content() if callable(content) else content
        try:
            response = client.request(method, url, content=body, **kwargs)
        except httpx.TransportError as exc:
            budget.pause(delay_after_error(budget, method, url, exc, idempotent=idempotent))
            continue
        delay = delay_after_answer(budget, method, url, response)
        if delay is None:
            return response
        response.close()
        budget.pause(delay)


def delay_after_answer(budget: Budget, method: str, url: str, response: httpx.Response) -> float | None:
    """None when ``response`` is the answer to return; else the wait before sending again (a
    status the policy retries or a rate limit, within the budget)."""
    if response.status_code not in budget.policy.statuses and not is_rate_limited(response):
        return None
    retry_after = retry_after_seconds(response)
    delay = budget.next_delay(retry_after)
    if delay is not None:
        log.info("%s %s answered %s; retrying in %.1fs", method, _path(url), response.status_code, delay)
    elif retry_after is not None and budget.elapsed + retry_after > budget.policy.budget:
        _say_not_waiting(method, url, response.status_code, retry_after, budget.policy.budget)
    return delay


#: the endpoints whose over-long Retry-After has been reported (once each: uploads run in parallel)
_not_waited_for: set[str] = set()


def _say_not_waiting(method: str, url: str, status: int, retry_after: float, budget: float) -> None:
    """Said plainly, once per endpoint: the error that follows is only the platform's "too
    many requests", and the run did not wait at all."""
    where = f"{method} {_path(url)}"
    if where in _not_waited_for:
        return
    _not_waited_for.add(where)
    log.warning(
        "%s answered %s and asks to wait %.0f s (Retry-After), longer than this run retries for "
        "(%.0f s in all); not waiting",
        where, status, retry_after, budget,
    )  # fmt: skip


def delay_after_error(
    budget: Budget, method: str, url: str, error: httpx.TransportError, *, idempotent: bool
) -> float:
    """The wait before sending again after a transport error, or the error raised: a request
    that never reached the server is always safe to resend; one that may have arrived only when
    it is idempotent (else :class:`AmbiguousOutcome`)."""
    never_arrived = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    if not never_arrived and not idempotent:
        raise AmbiguousOutcome(method, url, error) from error
    delay = budget.next_delay()
    if delay is None:
        raise error
    log.info("%s %s failed (%s); retrying in %.1fs", method, _path(url), type(error).__name__, delay)
    return delay


def _path(url: str) -> str:
    """The path of ``url`` without its query, which may carry ids but never belongs in a log."""
    return url.split("?", 1)[0]


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
    options = client_options(base_url, headers or {}, timeout, max_connections, transports.LoopbackTransport)
    return httpx.Client(follow_redirects=follow_redirects, **options)


def client_options(
    base_url: str,
    headers: Mapping[str, str],
    timeout: httpx.Timeout | float,
    max_connections: int,
    loopback: Callable[..., httpx.BaseTransport | httpx.AsyncBaseTransport],
) -> dict[str, Any]:
    """What every client of ours is made with, sync (:func:`new_client`) or async (the upload
    lanes under a proxy): ``loopback`` is the transport class mounted for ``*.localhost``."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    mounts = {}
    if transports.proxy_bypasses_localhost():
        transport = loopback(limits=limits, verify=tls.tls_context())
        mounts = {"all://localhost": transport, "all://*.localhost": transport}
    return {
        "base_url": base_url,
        "headers": {"User-Agent": USER_AGENT, **headers},
        "timeout": timeout,
        "limits": limits,
        "mounts": mounts,
        "verify": tls.tls_context(),
        "trust_env": True,
    }
