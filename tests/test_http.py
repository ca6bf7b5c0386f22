"""Retries of one request (``http.send``): a time budget, Retry-After, the deadline, and creates.

Time is fake throughout (tests/fake_time.py): the clock moves only when the code sleeps on it.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import httpx
import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy import http
from ci_deploy.ratelimit import retry_after_seconds

URL = "https://api.example.test/thing"


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as plain:
        yield plain


def send(client: httpx.Client, fake: FakeTime, method: str = "GET", **kwargs: object) -> httpx.Response:
    return http.send(client, method, URL, sleep=fake.sleep, clock=fake.clock, **kwargs)  # type: ignore[arg-type]


def outage(httpx_mock: HTTPXMock, fake: FakeTime, seconds: float, status: int = 502) -> None:
    """The endpoint answers ``status`` until the fake clock has passed ``seconds``, then 200."""

    def answer(request: httpx.Request) -> httpx.Response:
        if fake.now < seconds:
            return httpx.Response(status, text="<html>bad gateway</html>")
        return httpx.Response(200, json={"ok": True})

    httpx_mock.add_callback(answer, is_reusable=True)


def test_a_30_second_outage_is_ridden_out_within_the_budget(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    outage(httpx_mock, fake, 30.0)
    assert send(client, fake).status_code == 200
    assert 30.0 <= fake.now <= 30.0 + http.DEFAULT_RETRY.max_delay
    assert len(httpx_mock.get_requests()) == len(fake.sleeps) + 1 > 6  # more than the old 6 attempts


def test_an_outage_longer_than_the_budget_ends_with_its_last_answer(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    outage(httpx_mock, fake, 10 * http.RETRY_BUDGET, status=503)
    assert send(client, fake).status_code == 503
    assert http.RETRY_BUDGET - http.DEFAULT_RETRY.max_delay < fake.now <= http.RETRY_BUDGET


def test_the_budget_is_per_request_and_can_be_made_short(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    outage(httpx_mock, fake, 1000.0, status=524)
    assert send(client, fake, retry=http.RetryPolicy(budget=5.0)).status_code == 524
    assert fake.now <= 5.0
    started = fake.now
    assert send(client, fake, retry=http.RetryPolicy(budget=5.0)).status_code == 524
    assert 0 < fake.now - started <= 5.0  # the second request had a budget of its own


def test_backoff_grows_exponentially_to_its_cap_with_jitter() -> None:
    policy = http.RetryPolicy(base_delay=1.0, max_delay=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


def test_retry_after_in_seconds_is_honoured(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(json={"ok": True})
    assert send(client, fake).status_code == 200
    assert fake.sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    stamped = httpx.Response(503, headers={"Retry-After": email.utils.formatdate(1_800_000_012, usegmt=True)})
    assert retry_after_seconds(stamped, now=1_800_000_000) == 12.0
    soon = email.utils.formatdate(time.time() + 6, usegmt=True)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": soon})
    httpx_mock.add_response(json={"ok": True})
    assert send(client, fake).status_code == 200
    assert len(fake.sleeps) == 1 and 4.0 <= fake.sleeps[0] <= 6.0


def test_a_retry_after_longer_than_the_budget_left_ends_the_retries_at_once_and_says_why(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    fake: FakeTime,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(http, "_not_waited_for", set())
    for _ in range(3):  # as parallel uploads to one endpoint would
        httpx_mock.add_response(status_code=429, headers={"Retry-After": "3600"})
        assert send(client, fake).status_code == 429
    assert fake.sleeps == []
    (said,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]  # once
    assert "asks to wait 3600 s (Retry-After), longer than this run retries for" in said


def test_retries_never_wait_past_the_runs_deadline(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    outage(httpx_mock, fake, 1000.0)
    assert send(client, fake, deadline=12.0).status_code == 502
    assert 0 < fake.now <= 12.0


def test_dropped_connections_and_timeouts_of_a_read_are_retried(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected"))
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    httpx_mock.add_response(json={"ok": True})
    assert send(client, fake).status_code == 200
    assert len(fake.sleeps) == 2


def test_a_failure_that_never_stops_raises_once_the_budget_is_spent(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected"), is_reusable=True)
    with pytest.raises(httpx.RemoteProtocolError):
        send(client, fake)
    assert fake.now <= http.RETRY_BUDGET


def test_a_create_is_not_resent_after_a_dropped_connection_it_may_have_been_acted_on(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected"))
    with pytest.raises(http.AmbiguousOutcome):
        send(client, fake, "POST", idempotent=False, retry=http.CREATE_RETRY)
    assert len(httpx_mock.get_requests()) == 1


def test_a_create_is_resent_after_a_refused_connection_or_a_429_but_a_5xx_goes_back_to_the_caller(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "1"})
    httpx_mock.add_response(status_code=502)
    answer = send(client, fake, "POST", idempotent=False, retry=http.CREATE_RETRY)
    assert answer.status_code == 502
    assert len(httpx_mock.get_requests()) == 3


def test_without_a_clock_the_module_seam_tells_time(
    httpx_mock: HTTPXMock, client: httpx.Client, fake: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "default_sleep", fake.sleep)
    monkeypatch.setattr(http, "default_clock", fake.clock)
    outage(httpx_mock, fake, 30.0)
    assert http.send(client, "GET", URL).status_code == 200
    assert fake.now >= 30.0


def test_a_sleep_that_does_not_move_the_clock_still_spends_the_budget(
    httpx_mock: HTTPXMock, client: httpx.Client
) -> None:
    slept: list[float] = []
    httpx_mock.add_response(status_code=503, is_reusable=True)
    assert http.send(client, "GET", URL, sleep=slept.append).status_code == 503
    assert http.RETRY_BUDGET - http.DEFAULT_RETRY.max_delay < sum(slept) <= http.RETRY_BUDGET
