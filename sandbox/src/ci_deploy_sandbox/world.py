"""The sandbox's shared world and its request pipeline, apart from the HTTP wire.

:class:`SandboxWorld` is what every emulated API sees (``app.World``: blobs, sites, counters,
settings, save) and what turns one parsed :class:`Request` into an :class:`Outcome`: pick the API
(or site, or control) that answers, apply latency and any fault that fires, run the handler, and
record the request. API handlers run one at a time under :attr:`SandboxWorld.lock`, so the APIs
need no locks of their own — and must never sleep in a handler (derive delays from timestamps).
Sites and the control API are served outside that lock.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_deploy_sandbox.app import ApiEmulator, Request, Response, Site, World
from ci_deploy_sandbox.control import ControlApi, Counters, LogEntry, RequestLog, json_text
from ci_deploy_sandbox.faults import BUILTIN_KINDS, Fault, FaultPlan, status_response
from ci_deploy_sandbox.sites import Rules, Sites, not_served, serve
from ci_deploy_sandbox.sites_pages import serve_pages
from ci_deploy_sandbox.sites_vercel import serve_vercel
from ci_deploy_sandbox.state import FileBlobStore, Snapshots

log = logging.getLogger("ci_deploy_sandbox")

#: path prefix -> the API that owns it; everything else on the API host is Vercel's
PREFIXES = (("/client/v4", "cloudflare"), ("/api/v3", "github"))
CONTROL_PREFIX = "/_sandbox"
SITE_RULES: dict[str, Rules] = {"cloudflare": serve_pages, "vercel": serve_vercel}

ErrorEnvelope = Callable[[Request, int, str], Response]


@dataclass
class Target:
    """Who answers a request: its endpoint name, handler and error envelope."""

    endpoint: str
    handler: Callable[[Request], Response]
    error: ErrorEnvelope
    api: ApiEmulator | None = None


@dataclass
class Outcome:
    """What the wire should do: send ``response``, or drop the connection (``response`` None)."""

    response: Response | None
    fault: str | None = None


def plain_error(request: Request, status: int, message: str) -> Response:
    return Response.json({"error": {"status": status, "message": message}}, status)


class SandboxWorld(World):
    sites: Sites
    blobs: FileBlobStore

    def __init__(
        self,
        state_dir: Path,
        faults: FaultPlan | None = None,
        settings: dict[str, Any] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.port = 0
        self.state_dir = state_dir
        self.blobs = FileBlobStore(state_dir)
        self.sites = Sites(lambda: float(self.setting("sites.propagation_ms", 0) or 0) / 1000)
        self.faults = faults or FaultPlan()
        self.settings: dict[str, Any] = dict(settings or {})
        self.counters = Counters()
        self.requests = RequestLog()
        self.apis: dict[str, ApiEmulator] = {}
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.sleep = sleep or self.stopping.wait
        self.snapshots = Snapshots(state_dir, self._collect)
        self.control = ControlApi(self)

    # --- app.World ---------------------------------------------------------------------------
    def count(self, name: str, amount: int = 1) -> None:
        self.counters.add(name, amount)

    def save(self) -> None:
        self.snapshots.save()

    def setting(self, name: str, default: Any = None) -> Any:
        with self.lock:
            return self.settings.get(name, default)

    def set_setting(self, name: str, value: Any) -> None:
        """Change (or with None, remove) a switch; APIs use it to consume ``fail_next_builds``."""
        with self.lock:
            if value is None:
                self.settings.pop(name, None)
            else:
                self.settings[name] = value

    # --- APIs and state ----------------------------------------------------------------------
    def add_api(self, api: ApiEmulator) -> None:
        self.apis[api.name] = api
        self.faults.kinds.update(api.fault_kinds)

    def restore(self) -> None:
        """Give each API its saved snapshot (it re-publishes its sites)."""
        saved = self.snapshots.load()
        with self.lock:
            for name, api in self.apis.items():
                if name in saved:
                    api.restore(saved[name])

    def _collect(self) -> dict[str, Any]:
        with self.lock:
            return {name: api.snapshot() for name, api in self.apis.items()}

    # --- the request pipeline ----------------------------------------------------------------
    def resolve(self, request: Request) -> Target:
        host = request.host
        if host != "localhost" and host.endswith(".localhost"):
            for api in self.apis.values():
                if host in api.hosts:
                    return self._api_target(api, request)
            site = self.sites.lookup(host)
            if site is None:
                return Target("sites.unknown", lambda r: not_served(r.host), plain_error)
            return Target(f"sites.{site.rules}", lambda r: self._serve_site(r, site), plain_error)
        if _under(request.path, CONTROL_PREFIX):
            route = self.control.router.match(request)
            if route is None:
                return Target("sandbox.unknown", _not_found(plain_error), plain_error)
            return Target(route.endpoint, route.handler, plain_error)
        name = next((api for prefix, api in PREFIXES if _under(request.path, prefix)), "vercel")
        if name not in self.apis:
            return Target(f"{name}.unknown", _not_found(plain_error), plain_error)
        return self._api_target(self.apis[name], request)

    def _serve_site(self, request: Request, site: Site) -> Response:
        """A site, unless Vercel Deployment Protection (``vercel.protection_bypass`` set) keeps
        a protected preview from a request without the bypass header, as Vercel answers 401."""
        secret = self.setting("vercel.protection_bypass", "")
        if site.protected and secret and request.headers.get("x-vercel-protection-bypass") != secret:
            return Response.text("Authentication Required\n", 401)
        return serve(request, site, self.blobs, SITE_RULES)

    def _api_target(self, api: ApiEmulator, request: Request) -> Target:
        route = api.router.match(request)
        if route is None:
            return Target(f"{api.name}.unknown", _not_found(api.error), api.error, api)
        return Target(route.endpoint, self._locked(route.handler), api.error, api)

    def _locked(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            with self.lock:
                return handler(request)

        return run

    def respond(self, request: Request) -> Outcome:
        """Answer one request, faults included; records it unless it is a control request."""
        started = time.monotonic()
        target = self.resolve(request)
        request.endpoint = target.endpoint
        if target.endpoint.startswith("sandbox."):
            return Outcome(_run(target, request))
        delay = self.faults.latency_ms(target.endpoint)
        if delay:
            self.sleep(delay / 1000)
        own = target.api.fault_kinds if target.api is not None else ()
        fault = self.faults.take(target.endpoint, BUILTIN_KINDS.union(own))
        outcome = self._apply(fault, target, request)
        self._record(request, outcome, started)
        return outcome

    def _apply(self, fault: Fault | None, target: Target, request: Request) -> Outcome:
        if fault is None:
            return Outcome(_run(target, request))
        if fault.kind == "status":
            return Outcome(status_response(fault, request, target.error), fault.kind)
        if fault.kind == "reset":
            return Outcome(None, fault.kind)
        if fault.kind == "reset-after":
            _run(target, request)
            return Outcome(None, fault.kind)
        if fault.kind == "timeout":
            self.sleep(fault.ms / 1000)
            return Outcome(None, fault.kind)
        api, kind = target.api, fault.kind
        assert api is not None  # take() offers an API's own kinds on that API's endpoints only
        return Outcome(_run(dataclasses.replace(target, handler=lambda r: api.fault(kind, r)), request), kind)

    def _record(self, request: Request, outcome: Outcome, started: float) -> None:
        response = outcome.response
        sent = 0 if response is None or request.method == "HEAD" else len(response.body)
        request_type = request.headers.get("content-type", "")
        response_type = "" if response is None else response.header("content-type") or ""
        self.counters.request(request.endpoint, len(request.body), sent, outcome.fault)
        self.requests.append(
            LogEntry(
                method=request.method,
                path=request.path,
                host=request.host,
                endpoint=request.endpoint,
                status=None if response is None else response.status,
                bytes_in=len(request.body),
                bytes_out=sent,
                duration_ms=round((time.monotonic() - started) * 1000, 3),
                fault=outcome.fault,
                request_type=request_type,
                request_body=json_text(request_type, request.body),
                response_type=response_type,
                response_body=None if response is None else json_text(response_type, response.body),
            )
        )


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _not_found(error: ErrorEnvelope) -> Callable[[Request], Response]:
    return lambda request: error(request, 404, f"no such route: {request.method} {request.path}")


def _run(target: Target, request: Request) -> Response:
    """Run a handler; a crash becomes a 500 in the API's envelope (and a logged traceback)."""
    try:
        return target.handler(request)
    except Exception:
        log.exception("sandbox handler %s crashed on %s %s", target.endpoint, request.method, request.path)
        return target.error(request, 500, f"sandbox handler {target.endpoint} crashed")
