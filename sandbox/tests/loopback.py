"""An httpx client that reaches the sandbox's ``*.localhost`` sites.

Python's resolver does not map ``<host>.localhost`` to loopback (RFC 6761 says it should), so this
transport connects such hosts to 127.0.0.1 and keeps the ``Host`` header. The sandbox's tests use
it instead of ci-deploy's own client: the sandbox is tested without the runtime installed.
"""

from __future__ import annotations

from typing import Any

import httpx


class LoopbackTransport(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.lower().rstrip(".")
        if host == "localhost" or host.endswith(".localhost"):
            request.url = request.url.copy_with(host="127.0.0.1")
        return super().handle_request(request)


def loopback_client(**kwargs: Any) -> httpx.Client:
    """``httpx.Client(**kwargs)`` whose requests to ``*.localhost`` go to 127.0.0.1, no proxy."""
    return httpx.Client(transport=LoopbackTransport(), trust_env=False, **kwargs)
