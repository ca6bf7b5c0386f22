"""Running the sandbox: in-process (:class:`Sandbox`, for tests, ``deploy --sandbox`` and the
benchmarks) or in the foreground (:func:`run_foreground`, behind ``ci-deploy sandbox``).

The emulated APIs are found by importing ``ci_deploy_sandbox.cloudflare``, ``.vercel`` and
``.github``. The HTTP control API (``/_sandbox``) stays the source of truth; the Python helpers
here are shortcuts over the same objects for code that runs in the same process.
"""

from __future__ import annotations

import importlib
import json
import logging
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.app import ApiEmulator
from ci_deploy_sandbox.control import LogEntry
from ci_deploy_sandbox.faults import Fault, FaultPlan
from ci_deploy_sandbox.github_events import pull_request_event, run_variables
from ci_deploy_sandbox.sentry import TOKEN as SENTRY_TOKEN
from ci_deploy_sandbox.server import SandboxHTTPServer, serve_in_thread
from ci_deploy_sandbox.webhooks import WebhookReceiver
from ci_deploy_sandbox.world import SandboxWorld

log = logging.getLogger("ci_deploy_sandbox")

#: module -> class of each emulated API
API_CLASSES = {
    "cloudflare": "CloudflareEmulator",
    "vercel": "VercelEmulator",
    "github": "GitHubEmulator",
    "sentry": "SentryEmulator",
    "webhooks": "WebhookReceiver",
}


def discover_apis() -> list[type[ApiEmulator]]:
    """The API classes that exist. A module that is absent is skipped (with a warning); one that
    exists but fails to import is an error, never silently left out."""
    found: list[type[ApiEmulator]] = []
    for module_name, class_name in API_CLASSES.items():
        qualified = f"ci_deploy_sandbox.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
            log.warning("sandbox: %s is not available; its API answers 404", qualified)
            continue
        found.append(getattr(module, class_name))
    return found


def _as_fault(fault: Fault | str | Mapping[str, Any]) -> Fault:
    if isinstance(fault, Fault):
        return fault
    return Fault.parse(fault) if isinstance(fault, str) else Fault.from_json(dict(fault))


class Sandbox:
    """A sandbox on ``127.0.0.1:<port>`` (0 picks a free one) with state in ``state_dir`` (a
    temporary folder, removed at :meth:`stop`, when None)."""

    def __init__(
        self,
        state_dir: Path | str | None = None,
        port: int = 0,
        faults: Iterable[Fault | str | Mapping[str, Any]] = (),
        settings: Mapping[str, Any] | None = None,
        apis: Sequence[type[ApiEmulator]] | None = None,
        seed: int = 0,
    ) -> None:
        self._temporary = state_dir is None
        self.state_dir = Path(
            tempfile.mkdtemp(prefix="ci-deploy-sandbox-") if state_dir is None else state_dir
        )
        self.world = SandboxWorld(self.state_dir, FaultPlan(seed=seed), dict(settings or {}))
        for api_class in discover_apis() if apis is None else apis:
            self.world.add_api(api_class(self.world))
        for fault in faults:
            self.world.faults.add(_as_fault(fault))
        self._port = port
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        """Bind, restore the saved state, and serve in a background thread."""
        self._server = SandboxHTTPServer(self.world, port=self._port)
        self.world.restore()
        self._thread = serve_in_thread(self._server)
        log.info("sandbox serving on %s (state in %s)", self.origin, self.state_dir)
        return self

    def stop(self) -> None:
        """Stop serving, save the state, and remove a temporary state folder."""
        if self._server is None:
            return
        self.world.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self.world.snapshots.flush()
        self.world.blobs.close()
        self._server = None
        if self._temporary:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # --- where things are --------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.world.port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cloudflare_api_url(self) -> str:
        return f"{self.origin}/client/v4"

    @property
    def vercel_api_url(self) -> str:
        return self.origin

    @property
    def github_api_url(self) -> str:
        return f"{self.origin}/api/v3"

    @property
    def github_server_url(self) -> str:
        """GitHub's web host (``GITHUB_SERVER_URL``): the device flow's sign-in routes."""
        return f"http://github.localhost:{self.port}"

    @property
    def sentry_url(self) -> str:
        """Sentry's address (``sentry-url``); its token is ``tokens["sentry"]``."""
        return f"http://sentry.localhost:{self.port}"

    def webhook_url(self, path: str, *, slack: bool = False) -> str:
        """A URL of the webhook receiver (generic, or Slack's host)."""
        host = "hooks.slack.localhost" if slack else "hooks.localhost"
        return f"http://{host}:{self.port}/{path.lstrip('/')}"

    def webhooks(self) -> list[dict[str, Any]]:
        """What the webhook receiver got (``GET /_sandbox/webhooks``)."""
        receiver = self.world.apis.get("webhooks")
        return receiver.received() if isinstance(receiver, WebhookReceiver) else []

    @property
    def control_url(self) -> str:
        return f"{self.origin}/_sandbox"

    @property
    def sites_url(self) -> str:
        """Where sites live: any ``<host>.localhost`` on this port."""
        return f"http://<host>.localhost:{self.port}/"

    def site_url(self, host: str) -> str:
        return f"http://{host}:{self.port}/"

    @property
    def tokens(self) -> dict[str, str]:
        return {
            "cloudflare": identities.CLOUDFLARE_TOKEN,
            "vercel": identities.VERCEL_TOKEN,
            "github": identities.GITHUB_TOKEN,
            "github_pat": identities.GITHUB_PAT,
            "sentry": SENTRY_TOKEN,
        }

    def env(self) -> dict[str, str]:
        """The settings a client needs, by their conventional variable names."""
        return {
            "CLOUDFLARE_API_BASE_URL": self.cloudflare_api_url,
            "CLOUDFLARE_API_TOKEN": identities.CLOUDFLARE_TOKEN,
            "CLOUDFLARE_ACCOUNT_ID": identities.CLOUDFLARE_ACCOUNT_ID,
            "VERCEL_API_URL": self.vercel_api_url,
            "VERCEL_TOKEN": identities.VERCEL_TOKEN,
            "VERCEL_ORG_ID": identities.VERCEL_TEAM_ID,
            "GITHUB_API_URL": self.github_api_url,
            "GITHUB_TOKEN": identities.GITHUB_TOKEN,
        }

    # --- shortcuts over the control API's objects --------------------------------------------
    def counters(self) -> dict[str, Any]:
        return self.world.counters.snapshot()

    def reset_counters(self) -> None:
        self.world.counters.reset()

    def log(self, since: int = 0) -> list[LogEntry]:
        return self.world.requests.since(since)

    def inject(self, fault: Fault | str | Mapping[str, Any]) -> Fault:
        """Add a fault (object, ``--fault`` string, or JSON-like mapping)."""
        return self.world.faults.add(_as_fault(fault))

    def clear_faults(self) -> None:
        self.world.faults.clear()

    def set(self, setting: str, value: Any) -> None:
        self.world.set_setting(setting, value)


def parse_setting(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` (a ``--set`` option): the value is JSON when it parses (``2000``,
    ``true``, ``null``), else the text itself."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), json.loads(value)
    except ValueError:
        return name.strip(), value


def exports(variables: Mapping[str, str]) -> list[str]:
    """``export KEY=value`` lines, quoted for a POSIX shell, to paste or ``eval``."""
    return [f"export {key}={shlex.quote(value)}" for key, value in variables.items()]


def banner(sandbox: Sandbox) -> list[str]:
    """What ``ci-deploy sandbox`` prints: the settings as ``export`` lines, then where sites are
    served as a ``#`` comment, so the whole output can be pasted into a shell."""
    lines = exports({**sandbox.env(), "SANDBOX_CONTROL_URL": sandbox.control_url})
    lines.append(f"# sites: {sandbox.sites_url}")
    return lines


def pull_request_lines(sandbox: Sandbox, number: int) -> list[str]:
    """Open pull request ``number`` in the sandbox's GitHub, write the event of a run for it
    next to the state, and return the ``export`` lines of that run's variables."""
    github = sandbox.world.apis["github"]
    with sandbox.world.lock:
        event = pull_request_event(github, sandbox.origin, number)
    path = sandbox.state_dir / "events" / f"pull_request-{number}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(event, indent=2) + "\n")
    lines = [f"# pull request #{number} is open: {event['pull_request']['url']}"]
    return lines + exports(run_variables(event, str(path)))


def run_foreground(
    sandbox: Sandbox,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
    pull_request: int | None = None,
) -> None:
    """Start ``sandbox`` and serve until Ctrl-C or SIGTERM (or ``stop`` is set), printing the
    settings first (and, with ``pull_request``, that pull request's run variables); state is
    saved on the way out. (Built by the caller, so a bad ``--fault`` or
    ``--set`` is reported before anything starts.)"""
    out = out or sys.stdout
    stop = stop or threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set()) if in_main else None
    with sandbox:
        lines = banner(sandbox) + (pull_request_lines(sandbox, pull_request) if pull_request else [])
        for line in lines:
            print(line, file=out)
        out.flush()
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if in_main:
                signal.signal(signal.SIGTERM, previous)
