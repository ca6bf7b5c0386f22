"""The contract between the sandbox's HTTP server and the emulated APIs.

The server (``server.py``) parses each HTTP request into a :class:`Request`, applies injected
faults and latency, logs it, and hands it to the first :class:`Router` that matches. Each API
(``cloudflare.py``, ``vercel.py``, ``github.py``) is plain code over :class:`Request` ->
:class:`Response`, so it can be unit-tested without sockets. Routes carry a dotted endpoint
name (``cloudflare.assets.upload``) by which faults are switched on and counters are kept.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    """One parsed HTTP request. ``headers`` keys are lower-case; ``body`` is the whole body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    host: str
    port: int
    params: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""

    @classmethod
    def build(
        cls, method: str, target: str, headers: Mapping[str, str], body: bytes = b"", port: int = 0
    ) -> Request:
        path, _, query = target.partition("?")
        lower = {k.lower(): v for k, v in headers.items()}
        host = lower.get("host", "127.0.0.1").rsplit(":", 1)[0] if "]" not in lower.get("host", "") else "::1"
        return cls(
            method.upper(), path, parse_qs(query, keep_blank_values=True), lower, body, host.lower(), port
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer`` header, or None."""
        auth = self.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    @property
    def origin(self) -> str:
        """``http://<host>:<port>`` as the client addressed us, for building URLs."""
        return f"http://{self.headers.get('host', f'127.0.0.1:{self.port}')}"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
        data = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, data, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])])

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> Response:
        return cls(status, text.encode(), [("Content-Type", content_type)])

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler


class Router:
    """Maps ``METHOD /path/{param}`` patterns to handlers. A ``{param}`` matches one segment;
    ``{param:path}`` matches the rest of the path, slashes included."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, endpoint: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+):path\}", r"(?P<\1>.+)", self.prefix + pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self.routes.append(Route(method.upper(), re.compile(f"^{regex}/?$"), endpoint, handler))

    def match(self, request: Request) -> Route | None:
        """The route for ``request`` (filling ``request.params``/``endpoint``), or None."""
        for route in self.routes:
            if route.method != request.method:
                continue
            found = route.pattern.match(request.path)
            if found:
                from urllib.parse import unquote

                request.params = {k: unquote(v) for k, v in found.groupdict().items()}
                request.endpoint = route.endpoint
                return route
        return None


# --- What every emulated API gets from the server: the shared "world" --------------------------
#
# Layout (one port P for everything, so the official CLIs need one address):
#   http://127.0.0.1:P/client/v4/...   Cloudflare API (CLOUDFLARE_API_BASE_URL)
#   http://127.0.0.1:P/api/v3/...      GitHub REST API (GITHUB_API_URL, as on GitHub Enterprise)
#   http://127.0.0.1:P/_sandbox/...    control: faults, request log, counters, settings
#   http://127.0.0.1:P/...             Vercel API (the vercel CLI's --api; /v2, /v13, /teams, ...)
#   http://<anything>.localhost:P/...  a deployed site, by Host header (see SiteRegistry), or the
#                                      artifact download host artifacts.github.localhost
# Cloudflare sites: <short_id>.<name>.pages.localhost (deployment), <alias>.<name>.pages.localhost
# (branch alias), <name>.pages.localhost (production), active custom domains under .localhost.
# Vercel sites: <project>-<9 chars>-<scope>.vercel.localhost (deployment), <project>.vercel.localhost
# (production), <project>-git-<branch>-<scope>.vercel.localhost (branch), assigned aliases.
# Every site response carries SERVED_BY_HEADER naming the deployment that answered.

SERVED_BY_HEADER = "x-sandbox-deployment"


@dataclass
class Site:
    """A deployment's files as a site: ``files`` maps "/path" to a blob key of ``namespace``.

    ``rules`` selects the platform's serving rules: "cloudflare" (index.html, clean URLs,
    ``_headers``/``_redirects``, 404.html, SPA fallback) or "vercel" (static: index.html,
    404.html; prebuilt: Build Output API v3 ``config.json`` routes and overrides).
    """

    deployment_id: str
    namespace: str
    files: dict[str, str]
    rules: str
    headers_file: str = ""
    redirects_file: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    #: behind Vercel Deployment Protection (previews) when ``vercel.protection_bypass`` is set
    protected: bool = False


class BlobStore(ABC):
    """Interface of the content store (implemented in ``state.py``): bytes by (namespace, key)."""

    @abstractmethod
    def put(self, namespace: str, key: str, data: bytes) -> None: ...

    @abstractmethod
    def has(self, namespace: str, key: str) -> bool: ...

    @abstractmethod
    def read(self, namespace: str, key: str) -> bytes: ...


class SiteRegistry(ABC):
    """Interface of the host -> site table (implemented in ``sites.py``)."""

    @abstractmethod
    def publish(self, host: str, site: Site) -> None: ...

    @abstractmethod
    def unpublish(self, host: str) -> None: ...

    @abstractmethod
    def lookup(self, host: str) -> Site | None: ...


class World(ABC):
    """Interface of what the server shares with each API (implemented in ``server.py``)."""

    #: the port everything is served on (sites and APIs), for building URLs
    port: int
    blobs: BlobStore
    sites: SiteRegistry

    @abstractmethod
    def count(self, name: str, amount: int = 1) -> None:
        """Add to a counter that tests and benchmarks read (``files_uploaded``, ``bytes_uploaded``)."""

    @abstractmethod
    def save(self) -> None:
        """Persist every API's ``snapshot()`` to the state folder (survives a restart)."""

    @abstractmethod
    def setting(self, name: str, default: Any = None) -> Any:
        """A behaviour switch set at start or at run time through ``/_sandbox/settings``:
        ``cloudflare.deploy_delay_ms``, ``cloudflare.fail_next_builds``,
        ``vercel.build_delay_ms``, ``vercel.fail_next_builds``, ``cloudflare.upload_token_ttl``..."""

    @abstractmethod
    def set_setting(self, name: str, value: Any) -> None:
        """Change a switch (None removes it): an API consumes ``*.fail_next_builds`` with it."""


class ApiEmulator:
    """Base of each emulated API: a router plus JSON-able state for persistence."""

    name = ""
    #: host names (under ``.localhost``) this API answers itself instead of the site server, e.g.
    #: GitHub's artifact download host; the path is matched against ``router`` as usual
    hosts: tuple[str, ...] = ()
    #: semantic fault kinds this API can inject (e.g. Cloudflare's ``expired-token``); the server
    #: asks :meth:`fault` for the answer when one fires on this API's endpoints
    fault_kinds: tuple[str, ...] = ()

    def __init__(self, world: World) -> None:
        self.world = world
        self.router = Router()

    def error(self, request: Request, status: int, message: str) -> Response:
        """An error in this API's own envelope: unknown routes and injected 5xx faults use it."""
        return Response.json({"error": {"status": status, "message": message}}, status)

    def fault(self, kind: str, request: Request) -> Response:
        """The answer of one of :attr:`fault_kinds` to ``request`` (no side effect)."""
        return self.error(request, 500, f"injected fault {kind}")

    def snapshot(self) -> dict[str, Any]:
        return {}

    def restore(self, data: dict[str, Any]) -> None:
        """Load what :meth:`snapshot` returned (and re-publish sites)."""
