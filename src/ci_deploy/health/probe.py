"""One health request and its verdict: a timed GET that follows redirects only within its site.

Redirects are followed by hand rather than by httpx so that the request headers (which may carry
the Vercel protection-bypass secret or an ``Authorization`` header) are only ever sent to the
site being checked: a redirect to another scheme, host or port is the final answer, and its
status is what gets judged. The verdict is a pure function of the answer, so it is testable
without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

MAX_REDIRECTS = 10
#: only this much of a body is kept for the ``text`` check; the rest is counted, not stored
MAX_BODY_KEPT = 1 << 20
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: response headers kept for the performance figures (compression and caching; never secrets)
PERF_HEADERS = ("content-encoding", "cache-control", "age", "cf-cache-status", "x-vercel-cache")


@dataclass(frozen=True)
class Answer:
    """The final response of one request chain, timed from the first byte sent.

    ``ttfb_ms`` runs until the final response's headers arrived, ``total_ms`` until its body was
    read; ``served_by`` is the value of the hinted served-by header, None when absent.
    """

    url: str
    status: int
    body: bytes
    encoding: str
    bytes: int
    ttfb_ms: float
    total_ms: float
    served_by: str | None
    #: the :data:`PERF_HEADERS` the answer carried, in that order
    headers: tuple[tuple[str, str], ...] = ()


class NoAnswer(Exception):
    """No final answer came back (connection, TLS, timeout, proxy or redirect loop); the
    message is one line fit for a reason, without header values."""


def resolve_url(base_url: str, path: str) -> str:
    """``path`` joined to ``base_url`` (keeping any path prefix of the base), or ``path`` itself
    when it is already an absolute URL."""
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def same_site(a: httpx.URL, b: httpx.URL) -> bool:
    """Same scheme, host and port (default ports made explicit)."""
    return _site(a) == _site(b)


def _site(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0)


def fetch(
    client: httpx.Client,
    url: str,
    *,
    headers: Mapping[str, str],
    request_timeout: float,
    served_by_header: str,
    timer: Callable[[], float],
) -> Answer:
    """GET ``url``, following same-site redirects; raise :class:`NoAnswer` when nothing final
    arrived within ``request_timeout`` seconds per request."""
    start = timer()
    current = httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        request = client.build_request("GET", current, headers=headers, timeout=request_timeout)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise NoAnswer(f"gave no answer within {request_timeout:g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise NoAnswer(_transport_reason(exc)) from exc
        try:
            target = _same_site_redirect(response, current)
            if target is None:
                return _read(response, start, timer, request_timeout, served_by_header)
        finally:
            response.close()
        current = target
    raise NoAnswer(f"redirected more than {MAX_REDIRECTS} times within the site")


def _same_site_redirect(response: httpx.Response, current: httpx.URL) -> httpx.URL | None:
    """Where to go next, or None when ``response`` is the final answer."""
    location = response.headers.get("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return None
    try:
        target = current.join(location)
    except httpx.InvalidURL:
        return None
    return target if same_site(target, current) else None


def _read(
    response: httpx.Response,
    start: float,
    timer: Callable[[], float],
    request_timeout: float,
    served_by_header: str,
) -> Answer:
    ttfb = timer() - start
    kept = bytearray()
    count = 0
    try:
        for chunk in response.iter_bytes():
            count += len(chunk)
            if len(kept) < MAX_BODY_KEPT:
                kept += chunk[: MAX_BODY_KEPT - len(kept)]
            if timer() - start > request_timeout:
                raise NoAnswer(f"did not finish its body within {request_timeout:g} s")
    except httpx.TimeoutException as exc:
        raise NoAnswer(f"stalled while sending its body ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise NoAnswer(_transport_reason(exc)) from exc
    total = timer() - start
    served_by = response.headers.get(served_by_header) if served_by_header else None
    return Answer(
        url=str(response.request.url),
        status=response.status_code,
        body=bytes(kept),
        encoding=response.encoding or "utf-8",
        bytes=count,
        ttfb_ms=ttfb * 1000.0,
        total_ms=total * 1000.0,
        served_by=served_by.strip() if served_by is not None else None,
        headers=tuple((name, response.headers[name]) for name in PERF_HEADERS if name in response.headers),
    )


def _transport_reason(exc: httpx.HTTPError) -> str:
    detail = str(exc).splitlines()[0] if str(exc) else ""
    text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"could not be reached ({_clip(text, 160)})"


def status_ranges_text(statuses: tuple[tuple[int, int], ...]) -> str:
    """``((200, 399), (418, 418))`` -> ``"200-399, 418"``."""
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in statuses)


def judge(
    answer: Answer,
    *,
    statuses: tuple[tuple[int, int], ...],
    text: str | None,
    served_by_values: tuple[str, ...],
) -> tuple[str | None, bool | None]:
    """``(reason, served_by_ok)``: reason is None when the answer is healthy.

    ``served_by_ok`` is None when the platform gave no way to tell (no hinted header or values,
    or the header absent); a header naming another deployment fails first, since it explains
    any stale status or text that follows.
    """
    served_by_ok: bool | None = None
    if answer.served_by is not None and served_by_values:
        served_by_ok = answer.served_by in served_by_values
        if not served_by_ok:
            return f"was served by another deployment ({_clip(answer.served_by, 80)})", False
    if not any(lo <= answer.status <= hi for lo, hi in statuses):
        return f"answered {answer.status} (expected {status_ranges_text(statuses)})", served_by_ok
    if text is not None and text not in answer.body.decode(answer.encoding, errors="replace"):
        return f"answered {answer.status} without the text {_clip(text, 80)!r}", served_by_ok
    return None, served_by_ok


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
