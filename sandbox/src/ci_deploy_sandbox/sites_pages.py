"""Cloudflare Pages serving rules: clean URLs, ``_redirects``, ``_headers``, 404.html, SPA fallback.

What Pages does with an uploaded folder, kept to what a deployed static site notices:
``/about`` serves ``about.html`` (and ``/about.html`` redirects there with 308), ``/docs``
redirects to ``/docs/`` when ``docs/index.html`` exists, ``_redirects`` rules run before files
(a ``200`` is a rewrite), ``_headers`` rules add or detach (``! Name``) headers on file
responses, a miss serves the nearest ``404.html`` with 404 — or, when the site has no top-level
``404.html``, the root ``index.html`` with 200, as Pages assumes a single-page app.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ci_deploy_sandbox.app import Request, Response
from ci_deploy_sandbox.sites import Files, path_redirect, redirect, request_path

REDIRECT_STATUSES = frozenset({200, 301, 302, 303, 307, 308})


@dataclass(frozen=True)
class RedirectRule:
    source: re.Pattern[str]
    destination: str
    status: int


@dataclass(frozen=True)
class HeaderRule:
    pattern: re.Pattern[str]
    absolute: bool
    set: tuple[tuple[str, str], ...] = ()
    detach: tuple[str, ...] = ()


@dataclass
class _HeaderRuleDraft:
    pattern: str
    set: list[tuple[str, str]] = field(default_factory=list)
    detach: list[str] = field(default_factory=list)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``*`` (the splat, any characters) and ``:name`` (one segment) as named regex groups."""
    regex = ""
    for token in re.split(r"(\*|:\w+)", pattern):
        if token == "*":
            regex += "(?P<splat>.*)" if "(?P<splat>" not in regex else ".*"
        elif token.startswith(":") and len(token) > 1:
            regex += f"(?P<{token[1:]}>[^/]+)"
        else:
            regex += re.escape(token)
    return re.compile(f"^{regex}$")


def substitute(template: str, values: dict[str, str]) -> str:
    """Replace ``:splat`` and ``:name`` in a destination or header value by what matched."""
    return re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), template)


@functools.lru_cache(maxsize=256)
def parse_redirects(text: str) -> tuple[RedirectRule, ...]:
    """``source destination [status]`` lines; bad lines and self-matching rewrites (which wrangler
    rejects as infinite loops, e.g. ``/* /index.html 200``) are skipped as Pages skips them."""
    rules = []
    for raw in text.splitlines():
        parts = [] if raw.strip().startswith("#") else raw.split()
        if len(parts) not in (2, 3) or not parts[0].startswith("/"):
            continue
        status = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else 302 if len(parts) == 2 else 0
        if status not in REDIRECT_STATUSES:
            continue
        source = compile_pattern(parts[0])
        if status == 200 and (parts[1].startswith(("http://", "https://")) or source.match(parts[1])):
            continue
        rules.append(RedirectRule(source, parts[1], status))
    return tuple(rules)


@functools.lru_cache(maxsize=256)
def parse_headers(text: str) -> tuple[HeaderRule, ...]:
    """A URL pattern line, then indented ``Name: value`` or ``! Name`` lines under it."""
    drafts: list[_HeaderRuleDraft] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not raw[0].isspace() and line.startswith(("/", "http://", "https://")):
            drafts.append(_HeaderRuleDraft(line))
        elif drafts and line.startswith("!"):
            drafts[-1].detach.append(line[1:].strip())
        elif drafts and ":" in line:
            name, _, value = line.partition(":")
            drafts[-1].set.append((name.strip(), value.strip()))
    rules = []
    for draft in drafts:
        absolute = draft.pattern.startswith(("http://", "https://"))
        pattern = draft.pattern.split("://", 1)[1] if absolute else draft.pattern
        rules.append(HeaderRule(compile_pattern(pattern), absolute, tuple(draft.set), tuple(draft.detach)))
    return tuple(rules)


def serve_pages(request: Request, files: Files) -> Response:
    path = request_path(request)
    query = urlencode(request.query, doseq=True)
    for rule in parse_redirects(files.site.redirects_file):
        found = rule.source.match(path)
        if found is None:
            continue
        destination = substitute(rule.destination, found.groupdict())
        if rule.status != 200:
            if query and "?" not in destination:
                destination += f"?{query}"
            return redirect(destination, rule.status)
        response = rewrite(destination.split("?", 1)[0], files, request)
        break
    else:
        response = asset(path, query, files, request)
    if response.status == 304 or not 300 <= response.status < 400:
        apply_headers(response, parse_headers(files.site.headers_file), request.host, path)
    return response


def asset(path: str, query: str, files: Files, request: Request) -> Response:
    """A file by Pages' clean-URL rules, or a redirect to its canonical URL, or the miss."""
    suffix = f"?{query}" if query else ""
    if path.endswith("/index.html") and files.has(path):
        return path_redirect(path.removesuffix("index.html"), suffix, 308)
    if path.endswith(".html") and files.has(path):
        return path_redirect(path.removesuffix(".html"), suffix, 308)
    if path.endswith("/"):
        if files.has(path + "index.html"):
            return files.serve(path + "index.html", request=request)
        if path != "/" and files.has(path.rstrip("/") + ".html"):
            return path_redirect(path.rstrip("/"), suffix, 308)
    else:
        if files.has(path):
            return files.serve(path, request=request)
        if files.has(path + ".html"):
            return files.serve(path + ".html", request=request)
        if files.has(path + "/index.html"):
            return path_redirect(path + "/", suffix, 308)
    return missing(path, files, request)


def rewrite(path: str, files: Files, request: Request) -> Response:
    """A ``200`` rule: the destination's content under the requested URL, without redirects."""
    base = path.rstrip("/")
    for candidate in (path, base + ".html", base + "/index.html"):
        if files.has(candidate):
            return files.serve(candidate, request=request)
    return missing(path, files, request)


def missing(path: str, files: Files, request: Request) -> Response:
    """The nearest ``404.html`` up the tree with 404; with no top-level one, the SPA fallback."""
    folder = path.rsplit("/", 1)[0]
    while True:
        candidate = f"{folder}/404.html"
        if files.has(candidate):
            return files.serve(candidate, status=404)
        if not folder:
            break
        folder = folder.rsplit("/", 1)[0]
    if files.has("/index.html"):
        return files.serve("/index.html", request=request)
    return Response.text("Not found\n", 404)


def apply_headers(response: Response, rules: tuple[HeaderRule, ...], host: str, path: str) -> None:
    """Merge every matching rule's headers (repeats joined with ``, ``) and drop detached ones."""
    chosen: dict[str, tuple[str, str]] = {}
    detached: set[str] = set()
    for rule in rules:
        found = rule.pattern.match(f"{host}{path}" if rule.absolute else path)
        if found is None:
            continue
        values = found.groupdict()
        for name in rule.detach:
            detached.add(name.lower())
            chosen.pop(name.lower(), None)
        for name, value in rule.set:
            value = substitute(value, values)
            key = name.lower()
            chosen[key] = (name, f"{chosen[key][1]}, {value}") if key in chosen else (name, value)
            detached.discard(key)
    replaced = detached | chosen.keys()
    response.headers = [(k, v) for k, v in response.headers if k.lower() not in replaced]
    response.headers.extend(chosen.values())
