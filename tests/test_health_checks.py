"""Health checks against scripted servers: what passes, what is retried until the deadline, and
how a failure is worded (status, body text, serving deployment, latency budget, samples).

The retry loop runs on ``FakeTime`` and latency on a ticking timer (see health_harness), so no
test waits for real and budgets are compared with known numbers.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import pytest
from health_harness import FakeTime, Ticker, run, without_network_env
from scripted_server import Reply, Seen, Serve, ok, scripted_servers

from ci_deploy.errors import HealthCheckFailed
from ci_deploy.health.checks import HealthSpec, failure_error, slowest
from ci_deploy.platforms.base import HealthHints


@pytest.fixture
def serve() -> Iterator[Serve]:
    with scripted_servers() as start:
        yield start


@pytest.fixture(autouse=True)
def clean_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    without_network_env(monkeypatch)


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


def test_spec_rejects_empty_paths_and_inverted_ranges() -> None:
    with pytest.raises(ValueError):
        HealthSpec("http://x", ())
    with pytest.raises(ValueError):
        HealthSpec("http://x", ("/",), statuses=((399, 200),))
