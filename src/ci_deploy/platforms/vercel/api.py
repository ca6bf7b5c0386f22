"""The Vercel REST client: one ``httpx.Client``, the team scope on every call, and pure functions
that turn a response (status + body) into data or a :class:`VercelApiError`.

Vercel answers errors as ``{"error": {"code", "message", ...extra}}``; the extra fields matter
(``missing`` lists the shas a create needs, ``invalidToken`` tells a bad token from a token that
lacks access to a team), so they are kept on the error. The scope (``teamId=`` or ``slug=``) is
added here, once, so no call can forget it - uploads included.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ci_deploy import http
from ci_deploy.errors import PlatformError
from ci_deploy.foreign_text import FOREIGN_LIMIT, one_line
from ci_deploy.lanes import Lane, lane_maker, send_async
from ci_deploy.platforms.vercel.endpoints import DEFAULT_API_URL

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

#: an error code is a word (``missing_files``); a longer one is shown cut
_CODE_LIMIT = 100
#: where a page's ``<title>`` is looked for: its head (real pages name it early), not a megabyte
_PAGE_HEAD = 8 * 1024

Sleep = http.Sleep
Clock = http.Clock


class VercelApiError(PlatformError):
    """Vercel refused a request; ``extra`` holds the error object's other fields."""

    def __init__(self, message: str, *, status: int, code: str, extra: Mapping[str, Any]) -> None:
        super().__init__(message, status=status, code=code)
        self.extra = dict(extra)

    @property
    def missing(self) -> list[str]:
        """The shas a ``missing_files`` create needs uploaded first (empty for other errors)."""
        value = self.extra.get("missing")
        return [str(sha) for sha in value] if isinstance(value, list) else []

    @property
    def invalid_token(self) -> bool:
        return bool(self.extra.get("invalidToken") or self.extra.get("missingToken"))

    def during(self, what: str) -> VercelApiError:
        """This error as the failure of ``what`` (same status, code and fields), so its first
        line names what failed before Vercel's own words."""
        return VercelApiError(
            f"could not {what}: {self.message}",
            status=self.status or 0,
            code=str(self.code),
            extra=self.extra,
        )

    @property
    def described(self) -> str:
        """The message with the HTTP status, for a one-line error ("rate limited (HTTP 429)")."""
        status = f"HTTP {self.status}"
        return self.message if status in self.message else f"{self.message} ({status})"


def parse_body(content: bytes) -> Any:
    """The JSON of a response body; None for an empty body, the text for a non-JSON one."""
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
        return content.decode("utf-8", "replace")


def error_from(status: int, body: Any) -> VercelApiError:
    """The error a ``status`` >= 400 response with ``body`` stands for; Vercel's own words are
    cut to one line of :data:`~ci_deploy.foreign_text.FOREIGN_LIMIT` characters here."""
    envelope = body.get("error") if isinstance(body, dict) else None
    if isinstance(envelope, dict):
        code = one_line(str(envelope.get("code") or f"http_{status}"), _CODE_LIMIT)
        message = one_line(str(envelope.get("message") or code), FOREIGN_LIMIT)
        extra = {k: v for k, v in envelope.items() if k not in ("code", "message")}
    else:
        code = f"http_{status}"
        text = page_summary(body) if isinstance(body, str) else ""
        message = f"HTTP {status}" + (f": {text}" if text else "")
        extra = {}
    return VercelApiError(message, status=status, code=code, extra=extra)


def page_summary(text: str, limit: int = 200) -> str:
    """One line for a body that is not JSON: an HTML page (a gateway's error page) by its
    ``<title>``, else the text's first line - never a page of markup in a one-line error."""
    title = re.search(r"<title[^>]*>(.*?)</title>", text[:_PAGE_HEAD], re.IGNORECASE | re.DOTALL)
    if title and title.group(1).strip():
        return f"{one_line(title.group(1), limit)} (an HTML page, not the API's JSON)"
    first = next((line for line in text.splitlines() if line.strip()), "")
    return one_line(first, limit)


def interpret(status: int, content: bytes) -> Any:
    """The parsed body of a successful response, or raise :class:`VercelApiError`."""
    body = parse_body(content)
    if status >= 400:
        raise error_from(status, body)
    return body


class VercelApi:
    """Thin I/O layer: every request gets the token, the scope and ``http.send``'s retries."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        #: waits between polls; retries wait through :meth:`budget` (http's clock unless given)
        self.sleep: Sleep = sleep or time.sleep
        self.clock: Clock = clock or time.monotonic
        self._retry_sleep, self._retry_clock = sleep, clock
        self.scope: dict[str, str] = {}
        self._base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self.client = http.new_client(self._base_url, headers=self._headers)

    def lane_maker(self) -> Callable[[], Lane | httpx.AsyncClient]:
        """What makes the upload fan-out's lanes, each a connection of its own for one coroutine
        (see :mod:`ci_deploy.lanes`: why coroutines, and why not this client's pool)."""
        return lane_maker(self._base_url, self._headers)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        scoped: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request through :func:`ci_deploy.http.send` (retries, Retry-After) with the scope."""
        query = {**(self.scope if scoped else {}), **(params or {})}
        sleep, clock = self._retry_sleep, self._retry_clock
        response = http.send(self.client, method, path, params=query, sleep=sleep, clock=clock, **kwargs)
        response.read()
        return response

    async def send_on(
        self, lane: Lane | httpx.AsyncClient, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        """:meth:`send` on a lane, awaited: the scope, the retries, the body read."""
        sleep, clock = self._retry_sleep, self._retry_clock
        response = await send_async(lane, method, path, params=self.scope, sleep=sleep, clock=clock, **kwargs)
        await response.aread()
        return response

    def budget(self, policy: http.RetryPolicy = http.DEFAULT_RETRY) -> http.Budget:
        """A retry budget on this client's clock, for a create resolved by lookups."""
        return http.Budget(policy, sleep=self._retry_sleep, clock=self._retry_clock)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`send` and :func:`interpret`: the parsed body, or a :class:`VercelApiError`."""
        response = self.send(method, path, **kwargs)
        return interpret(response.status_code, response.content)

    def close(self) -> None:
        self.client.close()
