"""Cloudflare's v4 API over one httpx client: the response envelope, errors, pagination, auth.

Interpreting a response is a pure function of (status, headers, body) — :func:`interpret` —
so every rule (``success`` decides, not the status; an HTML gateway page is a malformed
answer; a WAF challenge is named) is testable without a server. :class:`CloudflareApi` is the
thin I/O layer on top: the API token goes only to API calls (:meth:`CloudflareApi.call`), the
upload JWT only to ``/pages/assets`` (:meth:`CloudflareApi.assets`), never the other way round.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ci_deploy import http
from ci_deploy.errors import AuthError, CiDeployError, PlatformError
from ci_deploy.foreign_text import FOREIGN_LIMIT, one_line
from ci_deploy.platforms.cloudflare_pages.endpoints import DEFAULT_API_URL

TIMEOUT = httpx.Timeout(60.0, connect=10.0)

# Codes with a meaning we act on (spec 2.2).
PROJECT_NOT_FOUND = 8000007
UNKNOWN_ERROR = 8000000
UPLOAD_TOKEN_INVALID = 8000013
AUTHENTICATION_ERROR = 10000
INVALID_TOKEN = 1000  # /user/tokens/verify
MEMBERSHIPS_UNREADABLE = frozenset({9106, 9109, 10000})
#: an error code as Cloudflare writes them (a megabyte of digits is no code: int() refuses it)
_CODE = re.compile(r"[0-9]{1,9}")
#: the errors of one answer named in a message (an answer may list thousands)
_ERRORS_SHOWN = 3


class CloudflareApiError(PlatformError):
    """The API answered ``success: false`` (or not JSON at all) after retries."""

    def __init__(self, message: str, *, status: int, codes: tuple[int, ...] = ()) -> None:
        super().__init__(message, status=status, code=codes[0] if codes else None)
        self.codes = codes

    def has_code(self, *codes: int) -> bool:
        return any(code in self.codes for code in codes)

    @property
    def refused(self) -> bool:
        """The token lacks a permission (or is invalid): 401/403, or code 10000."""
        return self.status in (401, 403) or self.has_code(AUTHENTICATION_ERROR)

    def during(self, what: str) -> CloudflareApiError:
        """This error as the failure of ``what`` (same status and codes), so its first line
        names what failed before Cloudflare's own words."""
        return CloudflareApiError(
            f"could not {what}: {self.message}", status=self.status or 0, codes=self.codes
        )


@dataclass(frozen=True)
class Envelope:
    """A successful answer: ``result`` and, for lists, ``result_info`` (paging)."""

    result: Any
    info: Mapping[str, Any] = field(default_factory=dict)


def interpret(status: int, headers: Mapping[str, str], body: bytes) -> Envelope:
    """The result of a Cloudflare answer, or :class:`CloudflareApiError` saying why not.

    Like wrangler, ``success`` decides, not the status; a 204/205 without a body is success.
    """
    if status in (204, 205) and not body.strip():
        return Envelope(None)
    if headers.get("cf-mitigated", "").lower() == "challenge":
        raise CloudflareApiError(
            f"request blocked by a Cloudflare WAF challenge (HTTP {status})", status=status
        )
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
        raise CloudflareApiError(
            f"received a malformed (non-JSON) response from the API (HTTP {status})", status=status
        ) from None
    if not isinstance(payload, dict):
        raise CloudflareApiError(f"unexpected response from the API (HTTP {status})", status=status)
    if payload.get("success") is True:
        return Envelope(payload.get("result"), payload.get("result_info") or {})
    listed = payload.get("errors")
    errors = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
    codes = tuple(int(e["code"]) for e in errors if _CODE.fullmatch(str(e.get("code", ""))))
    raise CloudflareApiError(f"{_error_text(errors)} (HTTP {status})", status=status, codes=codes)


def _error_text(errors: list[dict[str, Any]]) -> str:
    """``message [code N]; …`` for the first few errors, the platform's words sharing
    :data:`~ci_deploy.foreign_text.FOREIGN_LIMIT` characters so every code shown stays in view."""
    shown = errors[:_ERRORS_SHOWN]
    budget = FOREIGN_LIMIT // max(len(shown), 1)
    parts = [
        f"{one_line(str(e.get('message', '')), budget)} [code {one_line(str(e.get('code')), 20)}]"
        for e in shown
    ]
    if len(errors) > len(shown):
        parts.append(f"and {len(errors) - len(shown)} more errors")
    return "; ".join(parts) or "no error message"


def is_last_page(info: Mapping[str, Any], page: int, per_page: int, got: int) -> bool:
    """wrangler's paging rule: stop at ``total_count`` (or ``total_pages``), or on a short page."""
    if got < per_page:
        return True
    total_pages = info.get("total_pages")
    if isinstance(total_pages, int) and total_pages > 0:
        return page >= total_pages
    total = info.get("total_count")
    return isinstance(total, int) and page * per_page >= total


def server_clock_offset(headers: Mapping[str, str], local_now: float) -> float | None:
    """Seconds the server's clock is ahead of ours, from its ``Date`` header (1 s resolution)."""
    value = headers.get("date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - local_now
    except (TypeError, ValueError):
        return None


def permission_error(error: CloudflareApiError, permission: str, what: str, account: str | None) -> AuthError:
    """A refused call as the user should read it: which permission the token needs."""
    where = f" on account {account}" if account else ""
    return AuthError(
        f"the Cloudflare API token may not {what}{where}: give it the permission '{permission}' "
        f"(API token templates: 'Edit Cloudflare Workers' includes Pages)",
        input_name="token",
        details=error.message,
    )


def invalid_token_error(error: CloudflareApiError) -> AuthError:
    """A token Cloudflare does not know at all (told apart from a missing permission by
    ``/user/tokens/verify``, as wrangler does)."""
    return AuthError(
        "the Cloudflare API token is not valid (Cloudflare answered 'Invalid API Token'): it is "
        "mistyped, revoked or expired; create one at https://dash.cloudflare.com/profile/api-tokens",
        input_name="token",
        details=error.message,
    )


class CloudflareApi:
    """The API client: base URL, token, retries with per-request budgets, and the server clock."""

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        *,
        client: httpx.Client | None = None,
        sleep: http.Sleep | None = None,
        clock: http.Clock | None = None,
    ) -> None:
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self._token = token
        self._client = client or http.new_client(self.base_url, timeout=TIMEOUT, max_connections=8)
        #: waits between polls; retries wait through :meth:`budget` (http's clock unless given)
        self.sleep: http.Sleep = sleep or time.sleep
        self._retry_sleep, self._retry_clock = sleep, clock
        #: seconds the server clock is ahead of ours (from ``Date``); used to compare timestamps
        self.clock_offset = 0.0

    @property
    def client(self) -> httpx.Client:
        return self._client

    @staticmethod
    def _auth(bearer: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {bearer}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call with the API token; returns ``result`` or raises CloudflareApiError."""
        return self.envelope(method, path, **kwargs).result

    def envelope(self, method: str, path: str, **kwargs: Any) -> Envelope:
        return self._exchange(method, path, self._token, **kwargs)

    def assets(self, method: str, path: str, jwt: str, **kwargs: Any) -> Any:
        """A ``/pages/assets`` call: authenticated by the upload JWT, never the API token."""
        return self._exchange(method, path, jwt, **kwargs).result

    def pages(self, path: str, params: Mapping[str, Any] | None = None, per_page: int = 25) -> Iterator[Any]:
        """Every item of a paged list, fetched page by page as the caller iterates."""
        page = 1
        while True:
            envelope = self.envelope(
                "GET", path, params={**(params or {}), "page": page, "per_page": per_page}
            )
            items = envelope.result if isinstance(envelope.result, list) else []
            yield from items
            if is_last_page(envelope.info, page, per_page, len(items)):
                return
            page += 1

    def budget(self, policy: http.RetryPolicy = http.DEFAULT_RETRY) -> http.Budget:
        """A retry budget on this client's clock, for a create resolved by lookups."""
        return http.Budget(policy, sleep=self._retry_sleep, clock=self._retry_clock)

    def token_rejected(self) -> bool:
        """True when ``/user/tokens/verify`` calls the token invalid (401 / code 1000); a token
        that verifies, or a verify call that fails otherwise, is not called invalid."""
        try:
            self.call("GET", "user/tokens/verify")
        except CloudflareApiError as exc:
            return exc.status == 401 or exc.has_code(INVALID_TOKEN)
        except CiDeployError:
            return False
        return False

    def server_now(self) -> float:
        """The server's clock as epoch seconds, as far as its ``Date`` headers tell."""
        return time.time() + self.clock_offset

    def _exchange(
        self,
        method: str,
        path: str,
        bearer: str,
        *,
        retry: http.RetryPolicy = http.DEFAULT_RETRY,
        idempotent: bool = True,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Envelope:
        all_headers = {**self._auth(bearer), **(headers or {})}
        response = http.send(
            self._client,
            method,
            path.lstrip("/"),
            retry=retry,
            idempotent=idempotent,
            sleep=self._retry_sleep,
            clock=self._retry_clock,
            headers=all_headers,
            **kwargs,
        )
        offset = server_clock_offset(response.headers, time.time())
        if offset is not None:
            self.clock_offset = offset
        return interpret(response.status_code, response.headers, response.content)

    def close(self) -> None:
        self._client.close()
