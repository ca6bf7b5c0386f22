"""Waiting with a bound: ready when READY and aliased; failures carry the build log tail."""

from __future__ import annotations

import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy.errors import DeployFailed, DeployTimeout, PlatformError
from ci_deploy.platforms.vercel.api import VercelApi
from ci_deploy.platforms.vercel.wait import (
    FIRST_DELAY,
    MAX_DELAY,
    NOT_FOUND_GRACE,
    assess,
    event_lines,
    wait_until_ready,
)

STATUS = "https://api.vercel.com/v13/deployments/dpl_1?teamId=team_abc"
EVENTS = "https://api.vercel.com/v3/deployments/dpl_1/events?teamId=team_abc"


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(time_: FakeTime) -> VercelApi:
    client = VercelApi("tok_1", sleep=time_.sleep, clock=time_.clock)
    client.scope = {"teamId": "team_abc"}
    return client


def test_ready_needs_an_assigned_alias_unless_staged_or_not_expected() -> None:
    assert assess({"readyState": "READY", "aliasAssigned": 1}).outcome == "ready"
    assert assess({"readyState": "READY", "aliasAssigned": False}).outcome == "pending"
    assert assess({"readyState": "READY", "readySubstate": "STAGED"}).outcome == "ready"
    assert assess({"readyState": "READY"}, alias_expected=False).outcome == "ready"
    assert assess({"readyState": "BUILDING"}).outcome == "pending"


def test_errors_cancels_and_alias_failures_are_failures() -> None:
    assert assess({"readyState": "ERROR", "errorMessage": "Build failed"}).reason == "Build failed"
    assert assess({"readyState": "CANCELED"}).outcome == "failed"
    assert assess({"readyState": "BUILD_ERROR"}).outcome == "failed"
    alias = assess({"readyState": "READY", "aliasError": {"message": "alias taken"}})
    assert alias.outcome == "failed" and "alias taken" in alias.reason
    check = assess({"readyState": "READY", "checks": {"deployment-alias": {"state": "failed"}}})
    assert check.outcome == "failed"


def test_event_lines_reads_json_arrays_and_ndjson() -> None:
    assert event_lines([{"type": "stdout", "text": "a\nb"}, {"payload": {"text": "c"}}, {"type": "x"}]) == [
        "a",
        "b",
        "c",
    ]
    assert event_lines('{"text": "one"}\nplain line') == ["one", "plain line"]


def test_the_first_poll_is_immediate_then_it_backs_off_until_ready(
    httpx_mock: HTTPXMock, api: VercelApi, time_: FakeTime
) -> None:
    httpx_mock.add_response(method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "BUILDING"})
    httpx_mock.add_response(method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "READY"})
    httpx_mock.add_response(
        method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "READY", "aliasAssigned": 170}
    )
    data = wait_until_ready(api, "dpl_1", deadline=60, timeout=60)
    assert data["aliasAssigned"] == 170
    assert len(time_.sleeps) == 2 and time_.sleeps[0] < time_.sleeps[1]


def test_a_failed_build_reports_its_error_and_the_tail_of_the_build_log(
    httpx_mock: HTTPXMock, api: VercelApi
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=STATUS,
        json={"id": "dpl_1", "readyState": "ERROR", "errorMessage": "Command failed"},
    )
    events = [{"type": "stdout", "text": f"line {i}"} for i in range(30)]
    httpx_mock.add_response(method="GET", url=EVENTS, json=events)
    with pytest.raises(DeployFailed, match="Command failed") as caught:
        wait_until_ready(api, "dpl_1", deadline=60, timeout=60)
    assert "line 29" in caught.value.details and "line 9\n" not in caught.value.details
    assert caught.value.exit_code == 1


def test_a_failure_is_still_reported_when_the_build_log_cannot_be_read(
    httpx_mock: HTTPXMock, api: VercelApi
) -> None:
    httpx_mock.add_response(method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "CANCELED"})
    httpx_mock.add_response(method="GET", url=EVENTS, status_code=404, json={"error": {"code": "not_found"}})
    with pytest.raises(DeployFailed, match="CANCELED"):
        wait_until_ready(api, "dpl_1", deadline=60, timeout=60)


def test_endless_poll_faults_end_in_a_timeout_with_the_real_reason(
    httpx_mock: HTTPXMock, api: VercelApi, time_: FakeTime
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=STATUS,
        status_code=503,
        json={"error": {"code": "service_unavailable", "message": "try later"}},
        is_reusable=True,
    )
    with pytest.raises(DeployTimeout, match=r"within 30s.*503 service_unavailable") as caught:
        wait_until_ready(api, "dpl_1", deadline=30, timeout=30)
    assert caught.value.exit_code == 1
    assert time_.now <= 30


def test_a_build_that_never_finishes_times_out_naming_its_state(
    httpx_mock: HTTPXMock, api: VercelApi, time_: FakeTime
) -> None:
    httpx_mock.add_response(
        method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "BUILDING"}, is_reusable=True
    )
    with pytest.raises(DeployTimeout, match="last state BUILDING"):
        wait_until_ready(api, "dpl_1", deadline=20, timeout=20)
    assert time_.now == 20


def test_a_status_read_that_asking_again_cannot_change_ends_the_wait_at_once_naming_it(
    httpx_mock: HTTPXMock, api: VercelApi, time_: FakeTime
) -> None:
    refusal = {"error": {"code": "bad_request", "message": "Invalid id"}}
    httpx_mock.add_response(method="GET", url=STATUS, status_code=400, json=refusal)
    with pytest.raises(PlatformError) as caught:
        wait_until_ready(api, "dpl_1", deadline=600, timeout=600)
    assert str(caught.value) == (
        "could not check the status of Vercel deployment dpl_1: HTTP 400 bad_request: Invalid id"
    )
    assert time_.now == 0


def test_a_deployment_not_found_yet_is_read_again(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    not_found = {"error": {"code": "not_found", "message": "Not found"}}
    httpx_mock.add_response(method="GET", url=STATUS, status_code=404, json=not_found)
    httpx_mock.add_response(
        method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "READY", "aliasAssigned": 1}
    )
    assert wait_until_ready(api, "dpl_1", deadline=60, timeout=60)["id"] == "dpl_1"


def test_a_deployment_that_answered_and_then_is_not_found_was_deleted_and_ends_the_wait_at_once(
    httpx_mock: HTTPXMock, api: VercelApi, time_: FakeTime
) -> None:
    not_found = {"error": {"code": "not_found", "message": "Deployment not found"}}
    httpx_mock.add_response(method="GET", url=STATUS, json={"id": "dpl_1", "readyState": "BUILDING"})
    httpx_mock.add_response(method="GET", url=STATUS, status_code=404, json=not_found)
    with pytest.raises(PlatformError) as caught:
        wait_until_ready(api, "dpl_1", deadline=600, timeout=600)
    assert str(caught.value) == (
        "Vercel deployment dpl_1 no longer exists (HTTP 404 not_found: Deployment not found): "
        "it was deleted while ci-deploy waited for it to be ready"
    )
    assert caught.value.exit_code == 1
    assert time_.now == FIRST_DELAY


def test_a_deployment_never_found_counts_as_deleted_after_the_grace_not_after_the_timeout(
    httpx_mock: HTTPXMock, api: VercelApi, time_: FakeTime
) -> None:
    not_found = {"error": {"code": "not_found", "message": "Deployment not found"}}
    httpx_mock.add_response(method="GET", url=STATUS, status_code=404, json=not_found, is_reusable=True)
    with pytest.raises(PlatformError, match="no longer exists"):
        wait_until_ready(api, "dpl_1", deadline=600, timeout=600)
    assert NOT_FOUND_GRACE <= time_.now < NOT_FOUND_GRACE + MAX_DELAY
