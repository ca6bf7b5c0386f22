"""Fixtures for the sandbox's own tests: a running sandbox, a client for ``*.localhost``, and
the sandbox core with tiny stand-in APIs.

``sandbox`` is a fresh sandbox (every emulated API, empty temporary state) started for one test
and stopped after it. ``core_sandbox`` runs the server with stand-in APIs, to test the core apart
from the real emulators. Requests to a served site need ``http_get`` (or ``http_client``),
because Python's resolver does not map ``<host>.localhost`` to loopback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from loopback import loopback_client

from ci_deploy_sandbox.app import ApiEmulator, Request, Response, Site, World
from ci_deploy_sandbox.runtime import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture(scope="session")
def http_client() -> Iterator[httpx.Client]:
    """One client for the session: making one costs more than most sandbox tests."""
    with loopback_client(timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def http_get(http_client: httpx.Client) -> Callable[..., httpx.Response]:
    """``http_get(url, **kwargs)``: a GET that opens sandbox sites (no redirects followed)."""

    def get(url: str, **kwargs: Any) -> httpx.Response:
        return http_client.get(url, **kwargs)

    return get


# --- The sandbox core with tiny stand-in APIs, for testing the server apart from the real APIs ---


class FakeCloudflare(ApiEmulator):
    """A list of items under ``/client/v4`` in Cloudflare's envelope; publishes sites on request."""

    name = "cloudflare"
    fault_kinds = ("expired-token",)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.items: list[Any] = []
        self.router.add("GET", "/client/v4/items", "cloudflare.items.list", self.list_items)
        self.router.add("POST", "/client/v4/items", "cloudflare.items.create", self.create_item)
        self.router.add("POST", "/client/v4/sites/{host}", "cloudflare.sites.publish", self.publish)
        self.router.add("POST", "/client/v4/echo", "cloudflare.echo", self.echo)

    def error(self, request: Request, status: int, message: str) -> Response:
        return Response.json({"success": False, "errors": [{"code": 8000000, "message": message}]}, status)

    def fault(self, kind: str, request: Request) -> Response:
        body = {"success": False, "errors": [{"code": 8000013, "message": "Authorization failed"}]}
        return Response.json(body, 401)

    def list_items(self, request: Request) -> Response:
        return Response.json({"success": True, "result": self.items})

    def create_item(self, request: Request) -> Response:
        self.items.append(request.json())
        self.world.save()
        return Response.json({"success": True, "result": {"id": len(self.items)}})

    def echo(self, request: Request) -> Response:
        self.world.count("bytes_uploaded", len(request.body))
        digest = hashlib.sha256(request.body).hexdigest()
        return Response.json({"success": True, "result": {"size": len(request.body), "sha256": digest}})

    def publish(self, request: Request) -> Response:
        """Body ``{"rules": ..., "files": {path: text}}``: store the files and serve them."""
        spec = request.json()
        keys = {}
        for path, text in spec["files"].items():
            data = text.encode() if isinstance(text, str) else bytes(text)
            key = hashlib.sha256(data).hexdigest()[:32]
            self.world.blobs.put("fake", key, data)
            keys[path] = key
        self.world.sites.publish(
            request.params["host"],
            Site(spec.get("id", "dep-fake"), "fake", keys, spec.get("rules", "cloudflare")),
        )
        self.world.save()
        return Response.json({"success": True, "result": keys})

    def snapshot(self) -> dict[str, Any]:
        return {"items": self.items}

    def restore(self, data: dict[str, Any]) -> None:
        self.items = list(data.get("items", []))


class FakeGitHub(ApiEmulator):
    """Claims the artifact host, as the real GitHub API module does."""

    name = "github"
    hosts = ("artifacts.github.localhost",)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.router.add("GET", "/api/v3/meta", "github.meta", lambda r: Response.json({"ok": True}))
        self.router.add("GET", "/blob/{name}", "github.artifacts.download", self.download)

    def download(self, request: Request) -> Response:
        return Response(
            200, f"artifact {request.params['name']}".encode(), [("Content-Type", "application/zip")]
        )


FAKE_APIS = (FakeCloudflare, FakeGitHub)


@pytest.fixture
def fake_apis() -> tuple[type[ApiEmulator], ...]:
    """The stand-in APIs, for a test that builds its own :class:`Sandbox` around them."""
    return FAKE_APIS


@pytest.fixture
def core_sandbox() -> Iterator[Sandbox]:
    """The sandbox core with stand-in APIs (``cloudflare``, ``github``; no ``vercel``)."""
    with Sandbox(apis=FAKE_APIS) as running:
        yield running


@pytest.fixture(scope="session")
def _core_session_client() -> Iterator[httpx.Client]:
    with loopback_client(timeout=10.0) as client:
        yield client


@pytest.fixture
def core_client(core_sandbox: Sandbox, _core_session_client: httpx.Client) -> httpx.Client:
    """A client whose relative URLs go to ``core_sandbox``'s API port."""
    _core_session_client.base_url = httpx.URL(core_sandbox.origin)
    return _core_session_client
