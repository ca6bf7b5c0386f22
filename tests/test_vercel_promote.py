"""Promote and rollback: the call, then the bounded poll of the project's alias job."""

from __future__ import annotations

import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy.errors import DeployFailed, DeployTimeout, NotFoundError
from ci_deploy.platforms.vercel.api import VercelApi
from ci_deploy.platforms.vercel.promote import job_state, previous_production, promote, rollback

API = "https://api.vercel.com"
PROJECT_INFO = f"{API}/v9/projects/prj_1?teamId=team_abc&rollbackInfo=true"


@pytest.fixture
def api() -> VercelApi:
    fake = FakeTime()
    client = VercelApi("tok_1", sleep=fake.sleep, clock=fake.clock)
    client.scope = {"teamId": "team_abc"}
    return client


def alias_job(status: str, to: str = "dpl_2", kind: str = "promote") -> dict[str, object]:
    return {"id": "prj_1", "lastAliasRequest": {"toDeploymentId": to, "jobStatus": status, "type": kind}}


def test_job_state_ignores_a_job_for_another_deployment() -> None:
    assert job_state(alias_job("succeeded", to="dpl_9"), "dpl_2") == ""
    assert job_state(alias_job("in-progress"), "dpl_2") == "in-progress"
    assert job_state({}, "dpl_2") == ""


def test_promote_posts_then_polls_until_the_job_succeeded(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/v10/projects/prj_1/promote/dpl_2?teamId=team_abc",
        match_json={},
        status_code=201,
    )
    httpx_mock.add_response(method="GET", url=PROJECT_INFO, json=alias_job("succeeded", to="dpl_1"))
    httpx_mock.add_response(method="GET", url=PROJECT_INFO, json=alias_job("in-progress"))
    httpx_mock.add_response(method="GET", url=PROJECT_INFO, json=alias_job("succeeded"))
    promote(api, "prj_1", "dpl_2", deadline=60)


def test_a_failed_rollback_names_the_aliases_that_did_not_move(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/v9/projects/prj_1/rollback/dpl_2?teamId=team_abc", status_code=201
    )
    httpx_mock.add_response(method="GET", url=PROJECT_INFO, json=alias_job("failed", kind="rollback"))
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/prj_1/promote/aliases?teamId=team_abc&failedOnly=true",
        json={"aliases": [{"alias": "www.example.com", "status": "failed"}]},
    )
    with pytest.raises(DeployFailed, match=r"www\.example\.com"):
        rollback(api, "prj_1", "dpl_2", deadline=60)


def test_a_job_that_never_finishes_times_out(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(method="POST", url=f"{API}/v10/projects/prj_1/promote/dpl_2?teamId=team_abc")
    httpx_mock.add_response(method="GET", url=PROJECT_INFO, json=alias_job("pending"), is_reusable=True)
    with pytest.raises(DeployTimeout, match="job: pending"):
        promote(api, "prj_1", "dpl_2", deadline=5)


def production_list(*items: dict[str, object]) -> dict[str, object]:
    return {"deployments": list(items), "pagination": {"next": None}}


LIST = f"{API}/v6/deployments?teamId=team_abc&projectId=prj_1&limit=100&target=production"


def test_the_default_rollback_target_is_the_ready_production_before_the_live_one(
    httpx_mock: HTTPXMock, api: VercelApi
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=LIST,
        json=production_list(
            {"uid": "dpl_new", "target": "production", "state": "READY", "created": 30},
            {"uid": "dpl_live", "target": "production", "state": "READY", "created": 20},
            {"uid": "dpl_failed", "target": "production", "state": "ERROR", "created": 15},
            {"uid": "dpl_prev", "target": "production", "state": "READY", "created": 10},
        ),
    )
    project = {"id": "prj_1", "targets": {"production": {"id": "dpl_live"}}}
    assert previous_production(api, project)["uid"] == "dpl_prev"


def test_no_earlier_production_deployment_is_a_clear_error(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="GET",
        url=LIST,
        json=production_list({"uid": "dpl_live", "target": "production", "state": "READY", "created": 1}),
    )
    with pytest.raises(NotFoundError, match="no earlier"):
        previous_production(api, {"id": "prj_1", "targets": {"production": {"id": "dpl_live"}}})
