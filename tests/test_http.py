"""The retry loop of ``ci_deploy.http`` (``send``), with pytest-httpx answering.

``http``'s view of time is replaced by :class:`Clock`, which moves only when a retry sleeps, so
backoff, ``Retry-After`` (seconds or HTTP date) and deadlines are checked with exact numbers and
no test waits for real. The client factory itself is in test_http_client.py.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy import http
from ci_deploy.http import AmbiguousOutcome, RetryPolicy, new_client, send

API = "https://api.example"


class Clock:
    """``time`` as ``ci_deploy.http`` sees it: wall and monotonic clocks that move only on sleep."""

    def __init__(self) -> None:
        self.wall = 1_700_000_000.0
        self.mono = 500.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(http, "time", fake)
    return fake


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with new_client(API) as made:
        yield made


def get(client: httpx.Client, clock: Clock, **kwargs: Any) -> httpx.Response:
    return send(client, "GET", "/items", sleep=clock.sleep, **kwargs)


# --- retrying answers -----------------------------------------------------------------------------


def test_a_503_is_retried_after_a_jittered_backoff_and_the_success_is_returned(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=200, json={"ok": True})

    response = get(client, clock)

    assert response.status_code == 200 and response.json() == {"ok": True}
    assert len(httpx_mock.get_requests()) == 2
    (delay,) = clock.sleeps
    assert 0.125 <= delay <= 0.25  # half of the first backoff (0.25 s) is jitter


def test_retry_after_in_seconds_is_waited_exactly(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    assert clock.sleeps == [7.0]


def test_retry_after_as_an_http_date_is_waited_until_that_date(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    date = email.utils.formatdate(clock.wall + 42, usegmt=True)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": date})
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    assert clock.sleeps == [42.0]


def test_a_retry_after_date_in_the_past_is_retried_at_once(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    date = email.utils.formatdate(clock.wall - 600, usegmt=True)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": date})
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    assert clock.sleeps == [0.0]


def test_an_unreadable_retry_after_falls_back_to_the_backoff(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "soon"})
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    (delay,) = clock.sleeps
    assert 0.125 <= delay <= 0.25


def test_a_retry_after_longer_than_the_policy_allows_is_cut_to_its_cap(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "9999"})
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    assert clock.sleeps == [120.0]


def test_a_403_with_an_exhausted_rate_limit_is_retried_when_the_limit_resets(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.wall) + 5)}
    httpx_mock.add_response(status_code=403, headers=reset)
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    assert clock.sleeps == [5.0]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_an_answer_that_is_not_a_fault_is_returned_at_once(
    status: int, client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=status)

    assert get(client, clock).status_code == status
    assert clock.sleeps == []


def test_a_fault_that_never_stops_is_returned_once_the_policys_attempts_are_spent(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=502, is_reusable=True)

    response = get(client, clock, retry=RetryPolicy(attempts=3))

    assert response.status_code == 502
    assert len(httpx_mock.get_requests()) == 3
    assert len(clock.sleeps) == 2


def test_a_wait_that_would_cross_the_deadline_returns_the_answer_instead_of_sleeping(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "5"})

    response = get(client, clock, deadline=clock.mono + 4)

    assert response.status_code == 429
    assert clock.sleeps == []


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 10])
def test_the_backoff_doubles_per_attempt_up_to_its_cap_and_jitters_within_the_upper_half(
    attempt: int,
) -> None:
    policy = RetryPolicy()
    ceiling = min(16.0, 0.25 * 2 ** (attempt - 1))

    delays = [policy.backoff(attempt) for _ in range(50)]

    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


# --- retrying broken connections ----------------------------------------------------------------------


def test_a_request_that_never_reached_the_server_is_sent_again_even_if_not_idempotent(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("connection refused"))
    httpx_mock.add_response(status_code=201)

    response = send(client, "POST", "/deployments", idempotent=False, sleep=clock.sleep)

    assert response.status_code == 201
    assert len(httpx_mock.get_requests()) == 2


def test_a_non_idempotent_request_answered_503_is_sent_again_as_the_server_did_not_act_on_it(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=201)

    response = send(client, "POST", "/deployments", idempotent=False, sleep=clock.sleep)

    assert response.status_code == 201


@pytest.mark.parametrize(
    "broken",
    [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("Server disconnected")],
    ids=["read-timeout", "disconnected"],
)
def test_a_connection_broken_after_a_non_idempotent_request_was_sent_is_ambiguous_and_not_resent(
    broken: httpx.TransportError, client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(broken)

    with pytest.raises(AmbiguousOutcome) as caught:
        send(client, "POST", "/deployments", idempotent=False, sleep=clock.sleep)

    assert caught.value.cause is broken
    assert str(caught.value) == f"POST /deployments: {type(broken).__name__}: {broken}"
    assert len(httpx_mock.get_requests()) == 1
    assert clock.sleeps == []


def test_a_connection_broken_during_an_idempotent_request_is_retried(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadError("connection reset by peer"))
    httpx_mock.add_response(status_code=200)

    assert get(client, clock).status_code == 200
    assert len(clock.sleeps) == 1


def test_a_transport_error_that_never_stops_is_raised_once_the_policys_attempts_are_spent(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("connection refused"), is_reusable=True)

    with pytest.raises(httpx.ConnectError):
        get(client, clock, retry=RetryPolicy(attempts=3))

    assert len(httpx_mock.get_requests()) == 3
    assert len(clock.sleeps) == 2


def test_a_streamed_body_is_produced_afresh_for_every_attempt(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=503, match_content=b"part-1;part-2")
    httpx_mock.add_response(status_code=200, match_content=b"part-1;part-2")

    def chunks() -> Iterator[bytes]:
        yield b"part-1;"
        yield b"part-2"

    response = send(client, "PUT", "/files/abc", content=chunks, sleep=clock.sleep)

    assert response.status_code == 200


def test_a_retry_is_logged_with_the_path_but_never_the_query(
    client: httpx.Client, clock: Clock, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=200)
    caplog.set_level(logging.INFO, logger="ci_deploy.http")

    send(client, "GET", "/items?token=s3cr3t-query", sleep=clock.sleep)

    (record,) = [r for r in caplog.records if r.name == "ci_deploy.http"]
    assert record.getMessage().startswith("GET /items answered 503; retrying in ")
    assert "s3cr3t-query" not in record.getMessage()
