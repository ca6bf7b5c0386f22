"""Vercel serving rules: a static folder, or a prebuilt Build Output API v3 tree.

Static: files at their exact paths, a folder's ``index.html`` for the folder (``vercel.json``'s
``cleanUrls`` adds ``/about`` -> ``about.html``), ``404.html`` for a miss (Vercel's plain
NOT_FOUND page otherwise). Prebuilt: the files under ``.vercel/output/static``
plus ``config.json``'s ``overrides`` (a file served at another path or with another type) and
``routes``, followed minimally: ``src``/``dest`` rewrites with ``$1``/``$name``, ``headers``,
``status`` redirects, and the ``filesystem``/``error`` phases. Functions are stored, not run:
a request routed to one gets a 501 that says so.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ci_deploy_sandbox.app import Request, Response
from ci_deploy_sandbox.sites import Files, path_redirect, redirect, request_path

OUTPUT = "/.vercel/output"
STATIC = f"{OUTPUT}/static"
FUNCTIONS = f"{OUTPUT}/functions"
NOT_FOUND_TEXT = "The page could not be found\n\nNOT_FOUND\n"


@dataclass(frozen=True)
class Table:
    """A prebuilt deployment's served paths: path -> (file, content type override)."""

    files: dict[str, tuple[str, str | None]]
    functions: frozenset[str]
    routes: tuple[dict[str, Any], ...]
    #: a static deployment's ``vercel.json`` ``cleanUrls``: ``/about`` serves ``about.html``
    clean_urls: bool = False


_tables: dict[tuple[str, str], Table] = {}
_tables_lock = threading.Lock()


def serve_vercel(request: Request, files: Files) -> Response:
    if any(path.startswith(f"{OUTPUT}/") for path in files.site.files):
        return serve_prebuilt(request, files, table_of(files))
    path = request_path(request)
    clean = bool(table_of(files).clean_urls)
    if clean and path.endswith(".html") and files.has(path):
        return path_redirect(path.removesuffix(".html").removesuffix("/index") or "/", "", 308)
    found = static_lookup(path, files.has, clean) if path != "/vercel.json" else None
    if found is not None:
        return files.serve(found, request=request)
    if files.has("/404.html"):
        return files.serve("/404.html", status=404)
    return vercel_not_found()


def static_lookup(path: str, has: Callable[[str], bool], clean: bool = False) -> str | None:
    """The exact file, a folder's ``index.html`` — and with ``cleanUrls``, ``<path>.html``."""
    if not path.endswith("/") and has(path):
        return path
    if clean and not path.endswith("/") and has(path + ".html"):
        return path + ".html"
    index = path.rstrip("/") + "/index.html"
    return index if has(index) else None


def vercel_not_found() -> Response:
    response = Response.text(NOT_FOUND_TEXT, 404)
    response.headers.append(("x-vercel-error", "NOT_FOUND"))
    return response


def table_of(files: Files) -> Table:
    """Build (once per deployment) the path table and configuration from the uploaded tree."""
    site = files.site
    key = (site.namespace, site.deployment_id)
    with _tables_lock:
        if key in _tables:
            return _tables[key]
    config = site.config or _read_config(files, f"{OUTPUT}/config.json")
    static = site.config or _read_config(files, "/vercel.json")
    served: dict[str, tuple[str, str | None]] = {
        path[len(STATIC) :]: (path, None) for path in site.files if path.startswith(f"{STATIC}/")
    }
    for name, override in (config.get("overrides") or {}).items():
        source = f"{STATIC}/{name.lstrip('/')}"
        if source in site.files and isinstance(override, dict):
            target = "/" + str(override.get("path", name)).lstrip("/")
            served[target] = (source, override.get("contentType"))
    functions = frozenset(
        "/" + path[len(FUNCTIONS) + 1 :].split(".func/", 1)[0]
        for path in site.files
        if path.startswith(f"{FUNCTIONS}/") and ".func/" in path
    )
    routes = tuple(r for r in config.get("routes") or () if isinstance(r, dict))
    table = Table(served, functions, routes, clean_urls=static.get("cleanUrls") is True)
    with _tables_lock:
        if len(_tables) > 256:
            _tables.clear()
        _tables[key] = table
    return table


def _read_config(files: Files, path: str) -> dict[str, Any]:
    """A JSON object uploaded with the site (a broken one counts as absent, as a lenient
    server would serve the files anyway)."""
    if not files.has(path):
        return {}
    try:
        data = json.loads(files.blobs.read(files.site.namespace, files.site.files[path]))
    except (ValueError, KeyError):
        return {}
    return data if isinstance(data, dict) else {}


def serve_prebuilt(request: Request, files: Files, table: Table) -> Response:
    path = request_path(request)
    extra: list[tuple[str, str]] = []
    phase: str | None = None
    for route in table.routes:
        if "handle" in route:
            phase = str(route["handle"])
            if phase == "filesystem" and (hit := answer(path, files, table, request)) is not None:
                return with_headers(hit, extra)
            continue
        if phase in ("hit", "error") or not _method_allows(route, request.method):
            continue
        found = _match(route.get("src", ""), path)
        if found is None:
            continue
        extra += [(str(k), _expand(str(v), found)) for k, v in (route.get("headers") or {}).items()]
        destination = _expand(str(route["dest"]), found) if "dest" in route else None
        status = int(route.get("status", 0) or 0)
        location = next((v for k, v in extra if k.lower() == "location"), None)
        if 300 < status < 309 and location:
            return redirect(location, status)
        if destination is not None:
            path = destination.split("?", 1)[0]
        if route.get("continue"):
            continue
        final = answer(path, files, table, request, status or 200)
        return with_headers(final or miss(path, files, table), extra)
    final = answer(path, files, table, request)
    return with_headers(final or miss(path, files, table), extra)


def answer(path: str, files: Files, table: Table, request: Request, status: int = 200) -> Response | None:
    """A static file, a function (501: stored, not run), or None for a miss."""
    found = table.files.get(path) or table.files.get(path.rstrip("/") + "/index.html")
    if found is not None:
        response = files.serve(found[0], status=status, request=request)
        if found[1]:
            response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-type"]
            response.headers.append(("Content-Type", found[1]))
        return response
    if path in table.functions or path.rstrip("/") in table.functions:
        return Response.text(
            f"501: {path} is a Vercel function; the sandbox stores functions but does not run them.\n", 501
        )
    return None


def miss(path: str, files: Files, table: Table) -> Response:
    """The ``error`` phase's 404 route if one matches, else ``404.html``, else NOT_FOUND."""
    in_error = False
    for route in table.routes:
        if "handle" in route:
            in_error = route["handle"] == "error"
            continue
        found = _match(route.get("src", ""), path) if in_error else None
        if found is not None and "dest" in route:
            target = table.files.get(_expand(str(route["dest"]), found))
            if target is not None:
                return files.serve(target[0], status=int(route.get("status", 404)))
    if "/404.html" in table.files:
        return files.serve(table.files["/404.html"][0], status=404)
    return vercel_not_found()


def with_headers(response: Response, extra: list[tuple[str, str]]) -> Response:
    response.headers.extend(extra)
    return response


def _method_allows(route: dict[str, Any], method: str) -> bool:
    methods = route.get("methods")
    return not methods or method in methods or (method == "HEAD" and "GET" in methods)


def _match(src: str, path: str) -> re.Match[str] | None:
    """Vercel's ``src`` is a PCRE anchored at both ends; ``(?<name>`` is Python's ``(?P<name>``."""
    try:
        return re.fullmatch(re.sub(r"\(\?<(\w+)>", r"(?P<\1>", src.removeprefix("^").removesuffix("$")), path)
    except re.error:
        return None


def _expand(template: str, found: re.Match[str]) -> str:
    """``$1`` and ``$name`` in a ``dest`` or header value."""
    groups = {str(i): g or "" for i, g in enumerate(found.groups(), start=1)}
    groups.update({k: v or "" for k, v in found.groupdict().items()})
    return re.sub(r"\$(\w+)", lambda m: groups.get(m.group(1), m.group(0)), template)
