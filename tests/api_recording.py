"""Record every request ci-deploy's own HTTP clients send and the response each gets.

Every client ci-deploy makes comes from ``ci_deploy.http.new_client``; the ``api_traffic``
fixture wraps that function so each new client carries httpx event hooks that copy the exchange
into a list, leaving the clients otherwise exactly as production builds them. The list is what
``api_contract`` checks against the official API descriptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_contract import Exchange

from ci_deploy import http


def _request_body(request: httpx.Request) -> bytes | None:
    """The body as sent, or None for a streamed one (a generator is gone once sent)."""
    try:
        return request.content
    except httpx.RequestNotRead:
        return None


def _url_as_addressed(request: httpx.Request) -> str:
    """The URL with the host the caller named: ``ci_deploy.http`` sends ``*.localhost`` to
    127.0.0.1 and keeps the name only in the Host header, and a site is not an API."""
    host = request.headers.get("host", "")
    return str(request.url.copy_with(netloc=host.encode("ascii"))) if host else str(request.url)


def recording_hook(traffic: list[Exchange]) -> Callable[[httpx.Response], None]:
    """A response event hook that appends the exchange to ``traffic``."""

    def record(response: httpx.Response) -> None:
        response.read()
        request = response.request
        traffic.append(
            Exchange(
                method=request.method,
                url=_url_as_addressed(request),
                request_type=request.headers.get("content-type", ""),
                request_body=_request_body(request),
                status=response.status_code,
                response_type=response.headers.get("content-type", ""),
                response_body=response.content,
            )
        )

    return record


@pytest.fixture
def api_traffic(monkeypatch: pytest.MonkeyPatch) -> list[Exchange]:
    """The exchanges of every client ``ci_deploy.http.new_client`` makes during the test."""
    traffic: list[Exchange] = []
    original = http.new_client

    def recording_client(*args: Any, **kwargs: Any) -> httpx.Client:
        client = original(*args, **kwargs)
        client.event_hooks["response"] = [*client.event_hooks["response"], recording_hook(traffic)]
        return client

    monkeypatch.setattr(http, "new_client", recording_client)
    return traffic
