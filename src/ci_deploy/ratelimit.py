"""A server's wait hints, read from its answer: ``Retry-After`` (seconds or an HTTP date), an
exhausted rate limit's ``x-ratelimit-reset``, and GitHub's rate-limit 403. Pure: the retry loops
in :mod:`ci_deploy.http` and :mod:`ci_deploy.lanes` decide what to do with them."""

from __future__ import annotations

import email.utils
import time

import httpx


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
