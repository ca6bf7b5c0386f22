"""The ``/_sandbox`` control API, and the request log and counters it reports.

Tests and benchmarks read what happened (``GET /_sandbox/log``, ``GET /_sandbox/counters``) and
change what will happen (``/_sandbox/faults``, ``/_sandbox/settings``) over HTTP, so a sandbox in
another process is as scriptable as one in-process. Loopback only, hence no auth. Control
requests are neither logged, counted nor subject to faults: reading the counters must not move
them, and clearing a fault must always work.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ci_deploy_sandbox import dns
from ci_deploy_sandbox.app import Request, Response, Router
from ci_deploy_sandbox.faults import Fault
from ci_deploy_sandbox.github_events import pull_request_event
from ci_deploy_sandbox.webhooks import WebhookReceiver

if TYPE_CHECKING:
    from ci_deploy_sandbox.world import SandboxWorld

LOG_CAPACITY = 100_000
#: the newest requests whose JSON bodies the log keeps (older entries keep only their numbers)
BODY_CAPACITY = 2_000
#: a JSON body larger than this is not kept (an asset upload), only its size
BODY_LIMIT = 256 * 1024


@dataclass
class LogEntry:
    method: str
    path: str
    host: str
    endpoint: str
    status: int | None
    bytes_in: int
    bytes_out: int
    duration_ms: float
    fault: str | None
    seq: int = 0
    time: float = field(default_factory=time.time)
    #: content types, and the JSON bodies as text when small enough (see :func:`json_text`)
    request_type: str = ""
    request_body: str | None = None
    response_type: str = ""
    response_body: str | None = None

    def without_bodies(self) -> None:
        self.request_body = self.response_body = None


def json_text(content_type: str, body: bytes) -> str | None:
    """A JSON body as text for the log, or None (not JSON, not UTF-8, or over the limit)."""
    if "json" not in content_type.lower() or not body or len(body) > BODY_LIMIT:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


class RequestLog:
    """The last :data:`LOG_CAPACITY` requests, numbered from 1 so a reader can ask for news."""

    def __init__(self, capacity: int = LOG_CAPACITY, body_capacity: int = BODY_CAPACITY) -> None:
        self._entries: collections.deque[LogEntry] = collections.deque(maxlen=capacity)
        self._body_capacity = body_capacity
        self._seq = 0
        self._lock = threading.Lock()

    def append(self, entry: LogEntry) -> None:
        """Number and keep ``entry``; the entry ``body_capacity`` back loses its bodies, so the
        log's memory stays bounded however long the sandbox runs."""
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)
            if len(self._entries) > self._body_capacity:
                self._entries[-self._body_capacity - 1].without_bodies()

    def since(self, seq: int = 0, limit: int | None = None) -> list[LogEntry]:
        with self._lock:
            newer = [entry for entry in self._entries if entry.seq > seq]
        return newer[:limit] if limit is not None else newer

    @property
    def last(self) -> int:
        return self._seq


class Counters:
    """Requests in all and per endpoint, bytes in and out, faults fired, and the APIs' own
    counters (``files_uploaded``, ``bytes_uploaded``...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._totals: dict[str, int] = {"requests": 0, "bytes_in": 0, "bytes_out": 0, "faults": 0}
            self._named: dict[str, int] = collections.defaultdict(int)
            self._endpoints: dict[str, int] = collections.defaultdict(int)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._named[name] += amount

    def request(self, endpoint: str, bytes_in: int, bytes_out: int, fault: str | None) -> None:
        with self._lock:
            self._totals["requests"] += 1
            self._totals["bytes_in"] += bytes_in
            self._totals["bytes_out"] += bytes_out
            self._totals["faults"] += fault is not None
            self._endpoints[endpoint] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {**self._named, **self._totals, "endpoints": dict(sorted(self._endpoints.items()))}


class ControlApi:
    """The routes under ``/_sandbox``; endpoint names start with ``sandbox.``."""

    def __init__(self, world: SandboxWorld) -> None:
        self.world = world
        self.router = Router("/_sandbox")
        add = self.router.add
        add("GET", "/health", "sandbox.health", self.health)
        add("GET", "/log", "sandbox.log", self.log)
        add("GET", "/counters", "sandbox.counters", self.counters)
        add("POST", "/reset-counters", "sandbox.reset-counters", self.reset_counters)
        add("GET", "/settings", "sandbox.settings", self.settings)
        add("POST", "/settings", "sandbox.settings.update", self.update_settings)
        add("GET", "/faults", "sandbox.faults", self.faults)
        add("POST", "/faults", "sandbox.faults.add", self.add_faults)
        add("DELETE", "/faults", "sandbox.faults.clear", self.clear_faults)
        add("GET", "/sites", "sandbox.sites", self.sites)
        add("GET", "/webhooks", "sandbox.webhooks", self.webhooks)
        add("GET", "/dns", "sandbox.dns", self.dns)
        add("POST", "/dns", "sandbox.dns.add", self.add_dns)
        add("DELETE", "/dns", "sandbox.dns.remove", self.remove_dns)
        add("POST", "/github/pulls", "sandbox.github.pulls.open", self.open_pull_request)

    def health(self, request: Request) -> Response:
        return Response.json({"ok": True, "port": self.world.port, "apis": sorted(self.world.apis)})

    def log(self, request: Request) -> Response:
        try:
            since = int(request.arg("since", "0") or 0)
            limit = int(request.arg("limit") or 0) or None
        except ValueError:
            return _bad("since and limit must be integers")
        entries = [dataclasses.asdict(entry) for entry in self.world.requests.since(since, limit)]
        if request.arg("bodies") not in ("1", "true"):  # bodies on request: they can be large
            for entry in entries:
                for key in ("request_body", "response_body"):
                    entry.pop(key)
        last = entries[-1]["seq"] if entries else max(since, 0)
        return Response.json({"entries": entries, "last": last})

    def counters(self, request: Request) -> Response:
        return Response.json(self.world.counters.snapshot())

    def reset_counters(self, request: Request) -> Response:
        self.world.counters.reset()
        return Response.json(self.world.counters.snapshot())

    def settings(self, request: Request) -> Response:
        with self.world.lock:
            return Response.json(dict(self.world.settings))

    def update_settings(self, request: Request) -> Response:
        """Merge a JSON object into the switches; a ``null`` value removes one."""
        changes = _json_body(request)
        if not isinstance(changes, dict):
            return _bad('expected a JSON object like {"vercel.build_delay_ms": 2000}')
        for name, value in changes.items():
            self.world.set_setting(str(name), value)
        return self.settings(request)

    def faults(self, request: Request) -> Response:
        return Response.json({"faults": [fault.to_json() for fault in self.world.faults.active()]})

    def add_faults(self, request: Request) -> Response:
        """One fault object, a list of them, ``{"spec": "..."}``, or ``{"seed": N}`` to reseed."""
        body = _json_body(request)
        items = body if isinstance(body, list) else [body]
        if not items or not all(isinstance(item, dict) for item in items):
            return _bad(
                'expected a fault object, e.g. {"kind": "status", "status": 503, "endpoint": "vercel.*"}'
            )
        try:
            for item in items:
                if "seed" in item:
                    self.world.faults.reseed(int(item["seed"]))
                if "seed" not in item or "kind" in item or "spec" in item:
                    self.world.faults.add(Fault.from_json(item))
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
        return self.faults(request)

    def clear_faults(self, request: Request) -> Response:
        self.world.faults.clear()
        return self.faults(request)

    def sites(self, request: Request) -> Response:
        return Response.json({"port": self.world.port, "sites": self.world.sites.hosts()})

    def webhooks(self, request: Request) -> Response:
        """What the webhook receiver recorded: ``{"deliveries": [{host, path, headers, body}]}``."""
        receiver = self.world.apis.get("webhooks")
        deliveries = receiver.received() if isinstance(receiver, WebhookReceiver) else []
        return Response.json({"deliveries": deliveries})

    def dns(self, request: Request) -> Response:
        return Response.json({"records": dns.table(self.world)})

    def add_dns(self, request: Request) -> Response:
        """``{"name", "type", "value"}``: a record at the domain owner's DNS host."""
        body = _json_body(request)
        if not isinstance(body, dict):
            return _bad('expected {"name": "www.example.com", "type": "CNAME", "value": "..."}')
        try:
            records = dns.add(
                self.world, str(body.get("name", "")), str(body.get("type", "")), str(body.get("value", ""))
            )
        except ValueError as exc:
            return _bad(str(exc))
        return Response.json({"records": records})

    def remove_dns(self, request: Request) -> Response:
        """``?name=...[&type=...]``: remove a name's records."""
        name = request.arg("name")
        if not name:
            return _bad("name is required, e.g. DELETE /_sandbox/dns?name=www.example.com&type=CNAME")
        return Response.json({"records": dns.remove(self.world, name, request.arg("type"))})

    def open_pull_request(self, request: Request) -> Response:
        """``{"number", "repository"?, "head_ref"?, "head_sha"?, "action"?}``: seed the pull
        request in the emulated GitHub; answers the ``pull_request`` event of a run for it."""
        body = _json_body(request)
        github = self.world.apis.get("github")
        if github is None:
            return Response.json({"error": {"status": 404, "message": "GitHub is not emulated"}}, 404)
        if not isinstance(body, dict) or not isinstance(body.get("number"), int):
            return _bad('expected {"number": 7, "repository": "acme/shop", "head_ref": "feature"}')
        options = {k: str(body[k]) for k in ("repository", "head_ref", "head_sha", "action") if k in body}
        try:
            with self.world.lock:
                event = pull_request_event(github, request.origin, body["number"], **options)
        except ValueError as exc:
            return _bad(str(exc))
        return Response.json(event, 201)


def _json_body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        return None


def _bad(message: str) -> Response:
    return Response.json({"error": {"status": 400, "message": message}}, 400)
