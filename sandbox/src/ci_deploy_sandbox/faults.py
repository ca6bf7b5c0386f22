"""Fault injection: what goes wrong, on which endpoints, how often.

A fault matches endpoint names by glob (``cloudflare.assets.upload``, ``cloudflare.*``) and fires
for the next ``count`` matching requests (or forever) with probability ``rate`` drawn from a
seeded RNG, so a run with faults can be reproduced. Kinds:

- ``latency=MS``: delay before answering (adds to every other fault; not consumed per request
  unless it has a count)
- ``status=CODE``: 429 (with ``Retry-After``), 5xx or 524 in the API's JSON envelope or
  (``body=html``) a gateway's HTML page — the handler does not run; ``body=hostile`` puts a
  broken API's words in the envelope (terminal escapes, line breaks carrying would-be workflow
  commands, control characters, a megabyte of text), ``body=hostile-html`` in a page's title
- ``reset``: the connection is closed without an answer — the handler does not run
- ``reset-after``: the handler RUNS, then the connection is closed without its answer (is a retry
  duplicate-safe?)
- ``timeout=MS``: the request is held, then the connection is closed unanswered
- any kind an API declares in ``ApiEmulator.fault_kinds`` (e.g. ``expired-token``): its own answer

As a string (``--fault``): ``KIND[=VALUE][@ENDPOINT][,key=value...]``, e.g.
``status=429@cloudflare.assets.upload,count=2,retry_after=3`` or ``latency=100``.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ci_deploy_sandbox.app import Request, Response

BUILTIN_KINDS = frozenset({"latency", "status", "reset", "reset-after", "timeout"})
#: what a ``status`` fault answers: the API's envelope, a gateway page, or either of them hostile
BODIES = ("json", "html", "hostile", "hostile-html")
#: kinds whose ``VALUE`` in the string form is milliseconds, not a status code
_TIMED = frozenset({"latency", "timeout"})
_FIELDS = {
    "endpoint": str,
    "count": int,
    "rate": float,
    "status": int,
    "ms": int,
    "retry_after": int,
    "body": str,
}


@dataclass
class Fault:
    kind: str
    endpoint: str = "*"
    count: int | None = None
    rate: float = 1.0
    status: int = 503
    ms: int = 0
    retry_after: int = 1
    body: str = "json"
    id: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError(f"status fault needs a 4xx/5xx code, not {self.status}")
        if self.body not in BODIES:
            raise ValueError(f"body must be one of {', '.join(BODIES)}")
        if self.ms < 0 or self.retry_after < 0:
            raise ValueError("ms and retry_after must be >= 0")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``KIND[=VALUE][@ENDPOINT][,key=value...]`` (the ``--fault`` option)."""
        head, *options = spec.strip().split(",")
        head, _, endpoint = head.partition("@")
        kind, _, value = head.partition("=")
        fields: dict[str, Any] = {"endpoint": endpoint or "*"}
        if value:
            fields["ms" if kind in _TIMED else "status"] = value
        for option in options:
            name, sep, text = option.partition("=")
            if not sep or name.strip() not in _FIELDS:
                raise ValueError(f"bad fault option {option!r} in {spec!r}")
            fields[name.strip()] = text.strip()
        return cls.from_json({"kind": kind.strip(), **fields})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """From ``POST /_sandbox/faults``; also accepts ``{"spec": "<string form>"}``."""
        if "spec" in data:
            return cls.parse(str(data["spec"]))
        kind = str(data.get("kind", "")).strip()
        if not kind:
            raise ValueError("a fault needs a kind")
        fields: dict[str, Any] = {}
        for name, convert in _FIELDS.items():
            if data.get(name) is not None:
                try:
                    fields[name] = convert(data[name])
                except ValueError:
                    raise ValueError(
                        f"fault field {name}: {data[name]!r} is not a {convert.__name__}"
                    ) from None
        return cls(kind=kind, **fields)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def matches(self, endpoint: str) -> bool:
        return fnmatchcase(endpoint, self.endpoint)


class FaultPlan:
    """The faults in force. Thread-safe: requests on many connections consult it at once."""

    def __init__(self, faults: Iterable[Fault] = (), seed: int = 0) -> None:
        self.kinds: set[str] = set(BUILTIN_KINDS)
        self._faults: list[Fault] = []
        self._next_id = 1
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in self.kinds:
            raise ValueError(f"unknown fault kind {fault.kind!r} (known: {', '.join(sorted(self.kinds))})")
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def active(self) -> list[Fault]:
        with self._lock:
            return [dataclasses.replace(fault) for fault in self._faults]

    def latency_ms(self, endpoint: str) -> int:
        """Milliseconds of delay every matching ``latency`` fault adds to this request."""
        return sum(fault.ms for fault in self._fire(endpoint, lambda kind: kind == "latency", every=True))

    def take(self, endpoint: str, kinds: Collection[str] = BUILTIN_KINDS) -> Fault | None:
        """The fault among ``kinds`` that replaces (or, for ``reset-after``, follows) this
        request's handler, if one fires now; consumes one of its ``count``. The server offers the
        built-in kinds plus those of the API that owns the endpoint."""
        fired = self._fire(endpoint, lambda kind: kind != "latency" and kind in kinds, every=False)
        return fired[0] if fired else None

    def _fire(self, endpoint: str, wanted: Callable[[str], bool], every: bool) -> list[Fault]:
        fired: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if not wanted(fault.kind) or not fault.matches(endpoint):
                    continue
                if fault.rate < 1.0 and self._rng.random() >= fault.rate:
                    continue
                fault.fired += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                fired.append(dataclasses.replace(fault))
                if not every:
                    break
        return fired


GATEWAY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n"
    "<body><center><h1>{status} {reason}</h1></center><hr><center>sandbox-gateway</center></body></html>\n"
)
REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
REASONS |= {503: "Service Unavailable", 504: "Gateway Timeout", 524: "A Timeout Occurred"}
#: the words of a broken or hostile API: colours, a window title and a hyperlink in terminal
#: escapes, line breaks carrying would-be workflow commands, control and bidi characters, then
#: a megabyte of text
HOSTILE_TEXT = (
    "\x1b[31mexploded\x1b[0m \x1b]0;owned\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\"
    "\n::set-output name=url::http://evil.example\n::add-mask::e\r\n##[error]spoofed\n"
    "bell\x07 nul\x00 \u202eexe.gnp\u202c " + "A" * 1024 * 1024
)
HOSTILE_PAGE = (
    f"<!DOCTYPE html>\n<html><head><title>{HOSTILE_TEXT[:300]}</title></head>\n<body>"
    + "<p>sandbox-gateway</p>\n" * 50_000
    + "</body></html>\n"
)


def status_response(
    fault: Fault, request: Request, error: Callable[[Request, int, str], Response]
) -> Response:
    """The answer of a ``status`` fault: the API's own error envelope, or a gateway's HTML page."""
    reason = REASONS.get(fault.status, "Error")
    if fault.body in ("html", "hostile-html"):
        page = (
            HOSTILE_PAGE
            if fault.body == "hostile-html"
            else GATEWAY_PAGE.format(status=fault.status, reason=reason)
        )
        response = Response.text(page, fault.status, "text/html; charset=utf-8")
    else:
        message = HOSTILE_TEXT if fault.body == "hostile" else f"{reason} (injected by the sandbox)"
        response = error(request, fault.status, message)
        response.status = fault.status
    if fault.status in (429, 503):
        response.headers.append(("Retry-After", str(fault.retry_after)))
    return response
