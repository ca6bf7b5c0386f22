"""Lanes: one connection each, for a fan-out of many small requests (Vercel's upload per file).

A request through ``httpx.Client`` does work such a fan-out has no use for: merging the URL and
query with the client's, extracting cookies into a jar (through urllib request objects), the
auth and redirect machinery. Measured here, that is ~0.3 ms of CPU per upload on top of the
~0.5 ms the transport itself takes, and a thousand uploads share one interpreter lock. A
:class:`Lane` hands its requests straight to the transport a client from
:func:`ci_deploy.http.new_client` would use for the same URL (our TLS settings, the
``.localhost`` mapping), so only that per-request work is skipped; :func:`ci_deploy.http.send`
sends through either, with the same retries. Under an environment proxy a lane is such a client
after all: proxy rules stay httpx's own.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from typing import Any

import httpx

from ci_deploy import http


class Lane:
    """One connection to ``base_url`` with fixed headers (the token), for one thread at a time."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: httpx.Timeout) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": http.USER_AGENT, **headers}
        self._timeout = timeout.as_dict()
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        loopback = http.is_loopback_name(httpx.URL(self._base_url).host)
        transport = http.LoopbackTransport if loopback else httpx.HTTPTransport
        self._transport = transport(verify=http.tls_context(), limits=limits)
        self.is_closed = False

    def request(
        self,
        method: str,
        url: str,
        *,
        content: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request (``url`` relative to the lane's base, or absolute); the answer's
        body is still to be read, as with ``httpx.Client.request``."""
        request = httpx.Request(
            method,
            url if "://" in url else self._base_url + "/" + url.lstrip("/"),
            params=params,
            headers={**self._headers, **(headers or {})},
            content=content,
            extensions={"timeout": self._timeout},
        )
        response = self._transport.handle_request(request)
        response.request = request
        return response

    def close(self) -> None:
        self._transport.close()
        self.is_closed = True


def new_lane(base_url: str, headers: Mapping[str, str]) -> Lane | httpx.Client:
    """A lane to ``base_url``; a one-connection client when an environment proxy is set."""
    if urllib.request.getproxies():
        return http.new_client(base_url, headers=headers, max_connections=1)
    return Lane(base_url, headers, http.DEFAULT_TIMEOUT)
