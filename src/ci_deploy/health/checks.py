"""Health checks of a live deployment: retried through edge propagation, then measured.

Right after a deploy, a 404, a 5xx, a refused connection, the previous version's body or an
answer from another deployment is normal for a few seconds while the edge catches up. So each
path is retried with jittered backoff until one overall deadline; once it answers healthy, a
few more requests are timed (the first is often a cold cache) and must stay healthy, and their
median is compared with the latency budget.

This module knows nothing of platforms or GitHub: the caller renders ``{{sha}}`` into
``text``, passes the platform's :class:`HealthHints`, and decides what a failure means
(rollback, fail, warn). Request header values are never logged nor put in a result.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from ci_deploy.errors import HealthCheckFailed
from ci_deploy.health.probe import Answer, NoAnswer, fetch, judge, resolve_url
from ci_deploy.health.spec import HealthSpec
from ci_deploy.http import RetryPolicy, new_client
from ci_deploy.platforms.base import HealthHints

log = logging.getLogger("ci_deploy.health.checks")

#: 0.5 s doubling to 5 s, half of each wait jittered so parallel jobs do not probe in step
BACKOFF = RetryPolicy(base_delay=0.5, max_delay=5.0)


@dataclass(frozen=True)
class PathCheck:
    """One path's verdict and metrics. ``reason`` reads after the path ("answered 404 ...") and
    is empty when it passed. Metrics are medians of the samples when it passed, else those of
    the last answer (None when nothing answered)."""

    url: str
    path: str
    passed: bool
    status: int | None
    ttfb_ms: float | None
    total_ms: float | None
    bytes: int | None
    attempts: int
    reason: str
    served_by_ok: bool | None
    #: performance figures of a passed path: 95th percentiles, how many samples, cache headers
    ttfb_p95_ms: float | None = None
    total_p95_ms: float | None = None
    samples: int = 0
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HealthResult:
    """All paths' checks; ``reason`` is one line naming what failed, empty when all passed."""

    passed: bool
    checks: list[PathCheck]
    reason: str


@dataclass(frozen=True)
class _Context:
    spec: HealthSpec
    hints: HealthHints
    client: httpx.Client
    headers: Mapping[str, str]
    deadline: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    timer: Callable[[], float]

    def headers_for(self, url: str) -> Mapping[str, str]:
        """The headers (secrets among them: the protection bypass, an ``Authorization``) go only
        to the deployment's own hosts: the host of its URL and the custom ``domains``. An
        absolute health-check URL on any other host is checked without them."""
        own = {httpx.URL(self.spec.base_url).host, *self.spec.own_hosts} if self.spec.base_url else set()
        return self.headers if httpx.URL(url).host in own else {}

    def scrub(self, text: str) -> str:
        """``text`` without any request header value, whatever a server echoed back (values
        too short to be secrets are left, as :mod:`ci_deploy.redaction` does)."""
        for value in self.headers.values():
            if len(value) >= 4:
                text = text.replace(value, "***")
        return text


def check_health(
    spec: HealthSpec,
    hints: HealthHints,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    timer: Callable[[], float] = time.perf_counter,
) -> HealthResult:
    """Check every path of ``spec`` in turn against one deadline of ``spec.timeout`` seconds.

    ``clock`` and ``sleep`` drive the retry loop; ``timer`` measures latency. A client made
    here honours HTTPS_PROXY/NO_PROXY/SSL_CERT_FILE and maps ``*.localhost`` to loopback.
    """
    headers = {**spec.headers, **hints.headers}
    own_client = client is None
    http_client = client or new_client(timeout=httpx.Timeout(spec.request_timeout), follow_redirects=False)
    context = _Context(spec, hints, http_client, headers, clock() + spec.timeout, sleep, clock, timer)
    try:
        checks = [_check_path(context, path) for path in spec.paths]
    finally:
        if own_client:
            http_client.close()
    failed = [check for check in checks if not check.passed]
    return HealthResult(passed=not failed, checks=checks, reason=_summary(failed))


def slowest(result: HealthResult) -> PathCheck | None:
    """The measured check with the highest total time (the one a report should call out)."""
    measured = [check for check in result.checks if check.total_ms is not None]
    return max(measured, key=lambda check: check.total_ms or 0.0, default=None)


def failure_error(result: HealthResult) -> HealthCheckFailed:
    """The exception to raise for a failed result: its reason, then one line per failed path."""
    details = "\n".join(f"{c.url}: {c.reason}" for c in result.checks if not c.passed)
    return HealthCheckFailed(f"health check failed: {result.reason}", details=details)


def _summary(failed: list[PathCheck]) -> str:
    if not failed:
        return ""
    first = f"{failed[0].path} {failed[0].reason}"
    more = len(failed) - 1
    return first if not more else f"{first} (and {more} more path{'s' if more > 1 else ''} failed)"


@dataclass(frozen=True)
class _Attempt:
    """One request's outcome: the answer (None when nothing came back) and its verdict."""

    answer: Answer | None
    reason: str | None
    served_by_ok: bool | None


def _check_path(context: _Context, path: str) -> PathCheck:
    """Retry ``path`` until it answers healthy and stays so for the samples, or the deadline."""
    url = resolve_url(context.spec.base_url, path)
    log.info("Checking %s", url)
    attempts = 0
    while True:
        attempts += 1
        attempt = _attempt(context, url)
        if attempt.reason is None:
            samples, attempt = _sample(context, url, attempt)
            if attempt.reason is None:
                return _measured(context, url, path, samples, attempts, attempt.served_by_ok)
        now = context.clock()
        if now >= context.deadline:
            gave_up = (
                f"{attempt.reason}; gave up after {context.spec.timeout:g} s ({_plural(attempts, 'attempt')})"
            )
            return _failed(url, path, attempt, attempts, gave_up)
        delay = min(BACKOFF.backoff(attempts), context.deadline - now)
        log.info("%s %s; retrying in %.1f s", path, attempt.reason, delay)
        context.sleep(delay)


def _attempt(context: _Context, url: str) -> _Attempt:
    """One request and its verdict, with anything a server echoed of our headers scrubbed."""
    try:
        answer = fetch(
            context.client,
            url,
            headers=context.headers_for(url),
            request_timeout=context.spec.request_timeout,
            served_by_header=context.hints.served_by_header,
            timer=context.timer,
        )
    except NoAnswer as exc:
        return _Attempt(None, context.scrub(str(exc)), None)
    reason, served_by_ok = judge(
        answer,
        statuses=context.spec.statuses,
        text=context.spec.text,
        served_by_values=context.hints.served_by_values,
    )
    return _Attempt(answer, context.scrub(reason) if reason else None, served_by_ok)


def _sample(context: _Context, url: str, first: _Attempt) -> tuple[list[Answer], _Attempt]:
    """``spec.samples`` more requests, each of which must stay healthy (a flapping edge is not
    healthy yet). Returns the measured answers and the last attempt, the failing one if any;
    with no samples asked for, the first success is the only measurement."""
    samples: list[Answer] = []
    last = first
    for _ in range(context.spec.samples):
        last = _attempt(context, url)
        if last.reason is not None:
            return samples, _Attempt(last.answer, f"passed once, then {last.reason}", last.served_by_ok)
        if last.answer is not None:
            samples.append(last.answer)
    if not samples and first.answer is not None:
        samples.append(first.answer)
    return samples, last


def _measured(
    context: _Context, url: str, path: str, samples: list[Answer], attempts: int, served_by_ok: bool | None
) -> PathCheck:
    """A passed path's metrics, failed after all when the median total time misses the latency
    budget or the p95 time to first byte misses the performance budget."""
    ttfb = statistics.median(a.ttfb_ms for a in samples)
    total = statistics.median(a.total_ms for a in samples)
    ttfb_p95 = percentile([a.ttfb_ms for a in samples], 95)
    last = samples[-1]
    reason = _over_budget(context.spec, len(samples), total, ttfb_p95)
    if reason:
        log.info("%s %s", path, reason)
    else:
        log.info(
            "%s healthy: %d, first byte %.0f ms (p95 %.0f), total %.0f ms (median of %d), %d bytes",
            path, last.status, ttfb, ttfb_p95, total, len(samples), last.bytes,
        )  # fmt: skip
    metrics = (last.status, ttfb, total, last.bytes, attempts, reason, served_by_ok)
    total_p95 = percentile([a.total_ms for a in samples], 95)
    return PathCheck(url, path, not reason, *metrics, ttfb_p95, total_p95, len(samples), last.headers)


def _over_budget(spec: HealthSpec, count: int, total: float, ttfb_p95: float) -> str:
    """Why the figures miss a budget ("" when they do not)."""
    if spec.max_latency_ms is not None and total > spec.max_latency_ms:
        return f"took {total:.0f} ms (median of {count}), budget {spec.max_latency_ms:g} ms"
    budget = spec.ttfb_p95_budget_ms
    if budget is not None and ttfb_p95 > budget:
        return f"first byte took {ttfb_p95:.0f} ms (p95 of {count}), perf-budget-ms {budget:g}"
    return ""


def percentile(values: list[float], rank: float) -> float:
    """The nearest-rank percentile: with few samples, p95 is the slowest one, never invented."""
    ordered = sorted(values)
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return ordered[index]


def _failed(url: str, path: str, attempt: _Attempt, attempts: int, reason: str) -> PathCheck:
    log.info("%s %s", path, reason)
    answer = attempt.answer
    if answer is None:
        return PathCheck(url, path, False, None, None, None, None, attempts, reason, attempt.served_by_ok)
    metrics = (answer.status, answer.ttfb_ms, answer.total_ms, answer.bytes)
    return PathCheck(url, path, False, *metrics, attempts, reason, attempt.served_by_ok)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
