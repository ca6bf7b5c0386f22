"""Health checks against small scripted HTTP servers on 127.0.0.1.

Time never passes for real in the retry loop: ``FakeTime`` advances only when the checker sleeps,
so the deadline bounds every test deterministically. Latency is measured with a ticking fake
timer, so budgets are compared with known numbers rather than with how fast this machine is.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ci_deploy import redaction
from ci_deploy.errors import HealthCheckFailed
from ci_deploy.health.checks import HealthResult, HealthSpec, check_health, failure_error, slowest
from ci_deploy.platforms.base import HealthHints

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")
SECRET = "bypass-secret-5f1c9a"
NO_HINTS = HealthHints()


@dataclass
class Seen:
    """One request a server received."""

    requestline: str
    path: str
    headers: dict[str, str]


Reply = tuple[int, dict[str, str], bytes]
Script = Callable[[Seen, int], Reply]


@dataclass
class Server:
    """A running scripted server; ``script(request, n)`` answers the n-th request (0-based)."""

    script: Script
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _HTTPServer

    def do_GET(self) -> None:
        state = self.server.state
        seen = Seen(self.requestline, self.path, {k.lower(): v for k, v in self.headers.items()})
        with self.server.lock:
            index = len(state.seen)
            state.seen.append(seen)
        status, headers, body = state.script(seen, index)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:
        self.server.state.seen.append(Seen(self.requestline, self.path, {}))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is about the checker."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Server) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (timeouts, refused certificates) are part of the tests."""


Serve = Callable[..., Server]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start scripted servers for the test (HTTPS with ``tls``); all are shut down afterwards."""
    running: list[_HTTPServer] = []

    def start(script: Script, tls: ssl.SSLContext | None = None) -> Server:
        state = Server(script)
        httpd = _HTTPServer(state)
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        state.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
        running.append(httpd)
        return state

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def clean_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class FakeTime:
    """A clock that moves only when the checker sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Ticker:
    """A latency timer that advances ``step`` seconds at every reading."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def ok(body: bytes = b"hello", headers: dict[str, str] | None = None) -> Reply:
    return 200, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, body


def run(
    spec: HealthSpec, hints: HealthHints = NO_HINTS, time: FakeTime | None = None, **kwargs: Any
) -> HealthResult:
    fake = time or FakeTime()
    return check_health(spec, hints, sleep=fake.sleep, clock=fake.clock, **kwargs)


def test_path_that_404s_for_a_few_requests_then_serves_passes_with_metrics(serve: Serve) -> None:
    server = serve(lambda seen, n: (404, {}, b"not yet") if n < 3 else ok(b"x" * 1234))
    time = FakeTime()

    result = run(HealthSpec(server.url, ("/",)), time=time)

    assert result.passed and result.reason == ""
    (check,) = result.checks
    assert (check.url, check.status, check.bytes, check.attempts) == (server.url + "/", 200, 1234, 4)
    assert check.ttfb_ms is not None and check.total_ms is not None and check.ttfb_ms <= check.total_ms
    assert len(server.seen) == 4 + 3  # three more samples after the first success
    assert len(time.sleeps) == 3
    for attempt, delay in enumerate(time.sleeps, start=1):
        ceiling = min(5.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_path_that_always_answers_500_fails_at_the_deadline_naming_the_status(serve: Serve) -> None:
    server = serve(lambda seen, n: (500, {}, b"boom"))
    time = FakeTime()

    result = run(HealthSpec(server.url, ("/api/health",), timeout=30), time=time)

    assert not result.passed
    (check,) = result.checks
    assert check.status == 500 and not check.passed
    assert check.reason.startswith("answered 500 (expected 200-399); gave up after 30 s (")
    assert result.reason == f"/api/health {check.reason}"
    assert sum(time.sleeps) == pytest.approx(30)  # the last attempt is made at the deadline
    assert max(time.sleeps) <= 5.0
    assert check.attempts == len(server.seen) == len(time.sleeps) + 1
    assert all(seen.path == "/api/health" for seen in server.seen)


def test_body_must_contain_the_text_and_a_stale_body_is_retried_until_the_new_one_serves(
    serve: Serve,
) -> None:
    server = serve(lambda seen, n: ok(b"build 0ld") if n < 2 else ok(b"<meta build=abc123>"))

    result = run(HealthSpec(server.url, ("/",), text="abc123"))

    assert result.passed and result.checks[0].attempts == 3


def test_a_stale_deployment_that_never_shows_the_sha_fails(serve: Serve) -> None:
    server = serve(lambda seen, n: ok(b"build 0ld"))

    result = run(HealthSpec(server.url, ("/",), text="abc123", timeout=5))

    assert not result.passed
    assert result.reason.startswith("/ answered 200 without the text 'abc123'; gave up after 5 s")


def test_redirect_within_the_site_is_followed_with_the_headers(serve: Serve) -> None:
    def script(seen: Seen, n: int) -> Reply:
        return (302, {"Location": "/home"}, b"") if seen.path == "/" else ok(b"home sweet home")

    server = serve(script)

    result = run(HealthSpec(server.url, ("/",), text="sweet", headers={"X-Check": "yes"}))

    assert result.passed and result.checks[0].status == 200
    assert [seen.path for seen in server.seen[:2]] == ["/", "/home"]
    assert all(seen.headers["x-check"] == "yes" for seen in server.seen)


def test_a_redirect_loop_within_the_site_is_reported(serve: Serve) -> None:
    server = serve(lambda seen, n: (307, {"Location": "/a" if seen.path == "/b" else "b"}, b""))

    result = run(HealthSpec(server.url, ("/",), timeout=0))

    assert result.reason == "/ redirected more than 10 times within the site; gave up after 0 s (1 attempt)"
    assert len(server.seen) == 11


def test_offsite_redirect_is_the_final_answer_and_is_never_followed(serve: Serve) -> None:
    elsewhere = serve(lambda seen, n: ok())
    server = serve(lambda seen, n: (301, {"Location": f"{elsewhere.url}/login"}, b""))
    hints = HealthHints(headers={"x-vercel-protection-bypass": SECRET})

    default = run(HealthSpec(server.url, ("/",)), hints)
    strict = run(HealthSpec(server.url, ("/",), statuses=((200, 200),), timeout=2), hints)

    assert default.passed and default.checks[0].status == 301
    assert not strict.passed and strict.reason.startswith("/ answered 301 (expected 200);")
    assert elsewhere.seen == []  # the bypass secret never left the site


def test_status_lists_and_ranges_are_honoured(serve: Serve) -> None:
    server = serve(lambda seen, n: (418, {}, b"teapot"))

    result = run(HealthSpec(server.url, ("/",), statuses=((200, 204), (418, 418))))

    assert result.passed and result.checks[0].status == 418


def test_latency_budget_missed_by_the_median_fails_with_a_clear_reason(serve: Serve) -> None:
    server = serve(lambda seen, n: ok())

    result = run(HealthSpec(server.url, ("/",), max_latency_ms=1), timer=Ticker(0.1))

    (check,) = result.checks
    assert not result.passed and not check.passed
    assert re.fullmatch(r"took \d+ ms \(median of 3\), budget 1 ms", check.reason)
    assert result.reason == f"/ {check.reason}"
    assert check.total_ms is not None and check.total_ms > 1
    assert check.attempts == 1


def test_latency_within_budget_passes_and_slowest_picks_the_slowest_path(serve: Serve) -> None:
    def script(seen: Seen, n: int) -> Reply:
        return ok(b"x" * (100_000 if seen.path == "/big" else 10))

    server = serve(script)
    timer = Ticker(0.001)

    result = run(HealthSpec(server.url, ("/", "/big"), max_latency_ms=60_000), timer=timer)

    assert result.passed
    assert all(check.total_ms is not None for check in result.checks)
    worst = slowest(result)
    assert worst is not None
    assert worst.total_ms == max(check.total_ms or 0 for check in result.checks)


def test_answer_from_another_deployment_is_retried_until_this_one_serves(serve: Serve) -> None:
    server = serve(lambda seen, n: ok(headers={"x-served-by": "dpl_old" if n < 2 else "dpl_new"}))
    hints = HealthHints(served_by_header="x-served-by", served_by_values=("dpl_new",))

    result = run(HealthSpec(server.url, ("/",)), hints)

    assert result.passed
    assert result.checks[0].served_by_ok is True and result.checks[0].attempts == 3


def test_answer_always_from_another_deployment_fails_and_says_so(serve: Serve) -> None:
    server = serve(lambda seen, n: ok(headers={"x-served-by": "dpl_old"}))
    hints = HealthHints(served_by_header="x-served-by", served_by_values=("dpl_new",))

    result = run(HealthSpec(server.url, ("/",), timeout=3), hints)

    assert not result.passed and result.checks[0].served_by_ok is False
    assert result.reason.startswith("/ was served by another deployment (dpl_old); gave up after 3 s")


def test_missing_served_by_header_is_not_held_against_the_site(serve: Serve) -> None:
    server = serve(lambda seen, n: ok())
    hints = HealthHints(served_by_header="x-served-by", served_by_values=("dpl_new",))

    result = run(HealthSpec(server.url, ("/",)), hints)

    assert result.passed and result.checks[0].served_by_ok is None


def test_protected_site_is_reached_with_the_bypass_header_which_is_never_logged_or_reported(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    def script(seen: Seen, n: int) -> Reply:
        if seen.headers.get("x-vercel-protection-bypass") != SECRET:
            return 401, {}, b"protected"
        return (500, {}, b"") if n < 2 else ok()

    server = serve(script)
    hints = HealthHints(headers={"x-vercel-protection-bypass": SECRET})
    caplog.set_level(logging.DEBUG)

    result = run(HealthSpec(server.url, ("/",)), hints)

    assert result.passed
    assert all(seen.headers["x-vercel-protection-bypass"] == SECRET for seen in server.seen)
    assert SECRET not in repr(result)
    assert caplog.records and all(SECRET not in record.getMessage() for record in caplog.records)


def test_a_secret_echoed_back_by_the_server_is_scrubbed_from_reasons_and_logs(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(lambda seen, n: ok(headers={"x-served-by": seen.headers["x-vercel-protection-bypass"]}))
    hints = HealthHints(
        served_by_header="x-served-by",
        served_by_values=("dpl_new",),
        headers={"x-vercel-protection-bypass": SECRET},
    )
    caplog.set_level(logging.INFO, logger="ci_deploy.health.checks")

    result = run(HealthSpec(server.url, ("/",), timeout=2), hints)

    assert not result.passed and "served by another deployment (***)" in result.reason
    assert SECRET not in repr(result)
    error = failure_error(result)
    assert SECRET not in error.message + error.details
    health_logs = [r.getMessage() for r in caplog.records if r.name == "ci_deploy.health.checks"]
    assert health_logs and all(SECRET not in message for message in health_logs)
    redaction.forget_all()


def test_a_sample_that_fails_after_the_first_success_sends_the_path_back_to_retrying(serve: Serve) -> None:
    server = serve(lambda seen, n: (503, {}, b"") if n == 1 else ok())

    result = run(HealthSpec(server.url, ("/",)))

    assert result.passed and result.checks[0].attempts == 2
    assert len(server.seen) == 1 + 1 + 1 + 3  # success, failed sample, success, three samples


def test_a_flapping_path_fails_naming_the_failing_sample(serve: Serve) -> None:
    server = serve(lambda seen, n: ok() if n % 2 == 0 else (502, {}, b"bad gateway"))

    result = run(HealthSpec(server.url, ("/",), timeout=2))

    (check,) = result.checks
    assert not check.passed and check.status == 502
    assert check.reason.startswith("passed once, then answered 502 (expected 200-399); gave up after 2 s")


def test_samples_zero_measures_the_first_success(serve: Serve) -> None:
    server = serve(lambda seen, n: ok())

    result = run(HealthSpec(server.url, ("/",), samples=0))

    assert result.passed and len(server.seen) == 1 and result.checks[0].total_ms is not None


def test_absolute_urls_and_several_paths_report_each_failure(serve: Serve) -> None:
    good = serve(lambda seen, n: ok())
    bad = serve(lambda seen, n: (500, {}, b""))

    result = run(HealthSpec(good.url + "/app/", ("/", "health", f"{bad.url}/x"), timeout=1))

    assert [c.url for c in result.checks] == [f"{good.url}/app/", f"{good.url}/app/health", f"{bad.url}/x"]
    assert [c.passed for c in result.checks] == [True, True, False]
    assert result.reason.startswith(f"{bad.url}/x answered 500")
    error = failure_error(result)
    assert isinstance(error, HealthCheckFailed) and error.exit_code == 1
    assert error.details.startswith(f"{bad.url}/x: answered 500")


def test_connection_refused_is_retried_then_reported(serve: Serve) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = run(HealthSpec(f"http://127.0.0.1:{port}", ("/",), timeout=2))

    (check,) = result.checks
    assert not check.passed and check.status is None and check.total_ms is None
    assert check.reason.startswith("could not be reached (ConnectError")
    assert check.attempts > 1


def test_a_request_that_hangs_is_cut_by_the_request_timeout(serve: Serve) -> None:
    release = threading.Event()

    def script(seen: Seen, n: int) -> Reply:
        release.wait(5)
        return ok()

    server = serve(script)
    try:
        result = run(HealthSpec(server.url, ("/",), timeout=0, request_timeout=0.05))
    finally:
        release.set()

    assert result.checks[0].reason.startswith("gave no answer within 0.05 s (ReadTimeout); gave up")


def test_localhost_subdomains_reach_loopback_keeping_the_host(serve: Serve) -> None:
    server = serve(lambda seen, n: ok())

    result = run(HealthSpec(f"http://site.localhost:{server.port}", ("/",)))

    assert result.passed
    assert server.seen[0].headers["host"] == f"site.localhost:{server.port}"


def test_http_proxy_from_the_environment_carries_the_check(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda seen, n: ok(b"via proxy"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    result = run(HealthSpec("http://app.example:8080", ("/",), text="via proxy"))

    assert result.passed
    assert proxy.seen[0].requestline == "GET http://app.example:8080/ HTTP/1.1"


def test_https_proxy_from_the_environment_is_asked_to_connect(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda seen, n: ok())
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    result = run(HealthSpec("https://secure.example", ("/",), timeout=0))

    assert not result.passed and "ProxyError" in result.reason
    assert proxy.seen[0].requestline == "CONNECT secure.example:443 HTTP/1.1"


def test_no_proxy_sends_covered_hosts_direct(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = serve(lambda seen, n: (502, {}, b""))
    server = serve(lambda seen, n: ok())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    direct = run(HealthSpec(server.url, ("/",)))
    loopback = run(HealthSpec(f"http://site.localhost:{server.port}", ("/",)))

    assert direct.passed and loopback.passed
    assert proxy.seen == []


def test_localhost_goes_through_the_proxy_when_no_proxy_does_not_cover_it(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda seen, n: ok())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "internal.example")

    result = run(HealthSpec("http://site.localhost:4321", ("/",)))

    assert result.passed
    assert proxy.seen[0].requestline == "GET http://site.localhost:4321/ HTTP/1.1"


@pytest.fixture
def tls_server(serve: Serve, tmp_path: Path) -> tuple[Server, Path]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (the 'corporate CA')."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "ca.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return serve(lambda seen, n: ok(b"secure"), tls=context), cert


def test_ssl_cert_file_from_the_environment_is_trusted(
    tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    url = f"https://127.0.0.1:{server.port}"

    untrusted = run(HealthSpec(url, ("/",), timeout=0))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    trusted = run(HealthSpec(url, ("/",), text="secure"))

    assert not untrusted.passed and "CERTIFICATE_VERIFY_FAILED" in untrusted.reason
    assert trusted.passed


def test_spec_rejects_empty_paths_and_inverted_ranges() -> None:
    with pytest.raises(ValueError):
        HealthSpec("http://x", ())
    with pytest.raises(ValueError):
        HealthSpec("http://x", ("/",), statuses=((399, 200),))
