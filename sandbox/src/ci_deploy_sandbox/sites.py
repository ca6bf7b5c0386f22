"""Deployed sites: the host -> site table and the serving shared by both platforms' rules.

Each deployment, alias and active custom domain is a host under ``.localhost`` that the APIs
publish here; a request for that host is answered from the deployment's files in the blob store
by the platform's rules (``sites_pages`` for Cloudflare Pages, ``sites_vercel`` for Vercel).
Every answer names the deployment that gave it (``x-sandbox-deployment``), so a test can tell a
production alias from the preview it points at.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ci_deploy_sandbox.app import SERVED_BY_HEADER, BlobStore, Request, Response, Site, SiteRegistry

#: what both platforms send for HTML and assets: cacheable, but revalidated on every use
CACHE_CONTROL = "public, max-age=0, must-revalidate"

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("image/webp", ".webp")
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("application/wasm", ".wasm")


class Sites(SiteRegistry):
    """The host table. Hosts are case-insensitive; publishing a host again repoints it (an alias
    moving to a newer deployment).

    Like a real edge, a host can take a while to follow a new publish: for ``propagation()``
    seconds after it, lookups still answer with what the host served before (nothing at all for
    a new host), so health checks meet the 404s and stale versions they must ride out."""

    def __init__(self, propagation: Callable[[], float] = lambda: 0.0) -> None:
        self._sites: dict[str, Site] = {}
        self._previous: dict[str, tuple[Site | None, float]] = {}
        self._propagation = propagation
        self._lock = threading.Lock()

    def publish(self, host: str, site: Site) -> None:
        host = host.lower().rstrip(".")
        with self._lock:
            current = self._sites.get(host)
            if current is None or current.deployment_id != site.deployment_id:
                self._previous[host] = (current, time.monotonic())
            self._sites[host] = site

    def unpublish(self, host: str) -> None:
        with self._lock:
            self._sites.pop(host.lower().rstrip("."), None)

    def lookup(self, host: str) -> Site | None:
        host = host.lower().rstrip(".")
        delay = self._propagation()
        with self._lock:
            previous = self._previous.get(host)
            if delay > 0 and previous is not None and time.monotonic() - previous[1] < delay:
                return previous[0]
            return self._sites.get(host)

    def hosts(self) -> dict[str, str]:
        """Every served host and the deployment behind it (for the control API and the banner)."""
        with self._lock:
            return {host: site.deployment_id for host, site in sorted(self._sites.items())}


@dataclass
class Files:
    """A site's files as its rules see them: lookups by path, reads from the blob store."""

    site: Site
    blobs: BlobStore

    def has(self, path: str) -> bool:
        return path in self.site.files

    def serve(self, path: str, status: int = 200, request: Request | None = None) -> Response:
        """The file at ``path`` as a response with its content type and ETag (304 when the
        client already holds this version)."""
        key = self.site.files[path]
        etag = f'"{key}"'
        headers = [("ETag", etag), ("Cache-Control", CACHE_CONTROL)]
        if request is not None and status == 200 and etag in _etags(request.headers.get("if-none-match")):
            return Response(304, b"", headers)
        data = self.blobs.read(self.site.namespace, key)
        return Response(status, data, [("Content-Type", content_type(path)), *headers])


def _etags(header: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()}


def content_type(path: str) -> str:
    """The type a browser needs to use the file; text gets an explicit UTF-8 charset."""
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript", "application/json"):
        return f"{guessed}; charset=utf-8"
    return guessed


def request_path(request: Request) -> str:
    """The decoded path a site is asked for (``%20`` is a space, as in the uploaded manifest)."""
    return unquote(request.path) or "/"


#: what stays as is in a ``Location``: the URL delimiters and existing ``%`` escapes
_LOCATION_SAFE = ":/?#[]@!$&'()*+,;=%"


def redirect(location: str, status: int) -> Response:
    """A redirect to ``location``, percent-encoded as the platforms send it: a blank, a
    non-ASCII letter or a line break (a file may be named so) never goes into a header raw."""
    return Response(status, b"", [("Location", quote(location, safe=_LOCATION_SAFE))])


def path_redirect(path: str, suffix: str, status: int) -> Response:
    """A redirect to the decoded site ``path`` (escaped again, ``%`` included) plus an
    already-encoded query ``suffix``."""
    return redirect(quote(path, safe="/") + suffix, status)


def not_served(host: str) -> Response:
    return Response.text(f"404: no deployment here ({host}). Deploy to the sandbox to publish it.\n", 404)


Rules = Callable[[Request, Files], Response]


def serve(request: Request, site: Site, blobs: BlobStore, rules: dict[str, Rules]) -> Response:
    """Answer ``request`` from ``site`` by its platform's rules, naming the deployment."""
    if request.method not in ("GET", "HEAD"):
        response = Response.text("405: method not allowed on a static site\n", 405)
        response.headers.append(("Allow", "GET, HEAD"))
    else:
        response = rules[site.rules](request, Files(site, blobs))
    response.headers.append((SERVED_BY_HEADER, site.deployment_id))
    return response
