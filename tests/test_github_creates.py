"""GitHub creates (deployments, statuses, comments) are never made twice: after an answer that
leaves the outcome unknown (a 502, a dropped connection), what the request may have made is
looked up before anything is sent again. Request shapes over pytest-httpx, time is fake."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy import http
from ci_deploy.github.client import GitHubClient
from ci_deploy.github.comments import Identity, RunStamp, StickyComment, compose
from ci_deploy.github.deployments import DeploymentSpec, create_deployment, set_status
from ci_deploy.github.errors import GitHubError

API = "https://ghe.example.com/api/v3"
REPO_URL = f"{API}/repos/octo/app"
DEPLOYMENTS = f"{REPO_URL}/deployments"
LISTING = re.compile(re.escape(DEPLOYMENTS) + r"\?.*")
SHA = "a" * 40
SPEC = DeploymentSpec(
    sha=SHA,
    environment="preview/pr-3",
    production=False,
    platform="vercel",
    project="web",
    pr_number=3,
    run_key="run-7",
)
BOT = "github-actions[bot]"


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake: FakeTime) -> GitHubClient:
    return GitHubClient(API, "ghs_token", "octo/app", sleep=fake.sleep, clock=fake.clock)


def deployment(deployment_id: int, run_key: str) -> dict[str, Any]:
    return {
        "id": deployment_id,
        "sha": SHA,
        "environment": SPEC.environment,
        "task": "deploy:pr-3",
        "payload": {"ci_deploy": 1, "run_key": run_key, "pr": 3},
    }


def posts(httpx_mock: HTTPXMock) -> list[httpx.Request]:
    return httpx_mock.get_requests(method="POST")


def test_a_502_after_github_created_the_deployment_finds_it_instead_of_posting_again(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, status_code=502, text="<html>bad gateway</html>")
    httpx_mock.add_response(
        method="GET", url=LISTING, json=[deployment(12, "run-other"), deployment(11, "run-7")]
    )
    created = create_deployment(client, SPEC)
    assert created.id == 11
    assert len(posts(httpx_mock)) == 1
    lookup = httpx_mock.get_requests(method="GET")[0]
    assert lookup.url.params["sha"] == SHA and lookup.url.params["environment"] == SPEC.environment


def test_a_reset_after_the_deployment_create_finds_it_by_run_key(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected"), method="POST", url=DEPLOYMENTS)
    httpx_mock.add_response(method="GET", url=LISTING, json=[deployment(11, "run-7")])
    assert create_deployment(client, SPEC).id == 11
    assert len(posts(httpx_mock)) == 1


def test_a_502_with_nothing_created_is_posted_again_after_a_backoff(
    httpx_mock: HTTPXMock, client: GitHubClient, fake: FakeTime
) -> None:
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, status_code=502)
    httpx_mock.add_response(method="GET", url=LISTING, json=[deployment(12, "run-other")])
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, status_code=201, json=deployment(13, "run-7"))
    assert create_deployment(client, SPEC).id == 13
    assert len(posts(httpx_mock)) == 2 and len(fake.sleeps) == 1


def test_a_create_failing_past_the_budget_reports_githubs_answer(
    httpx_mock: HTTPXMock, client: GitHubClient, fake: FakeTime
) -> None:
    httpx_mock.add_response(
        method="POST", url=DEPLOYMENTS, status_code=503, json={"message": "down"}, is_reusable=True
    )
    httpx_mock.add_response(method="GET", url=LISTING, json=[], is_reusable=True)
    with pytest.raises(GitHubError, match="503"):
        create_deployment(client, SPEC)
    assert len(posts(httpx_mock)) == len(httpx_mock.get_requests(method="GET")) > 6
    assert fake.now <= http.RETRY_BUDGET


def test_a_502_after_a_status_was_added_does_not_add_it_twice(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    statuses = f"{DEPLOYMENTS}/11/statuses"
    httpx_mock.add_response(method="POST", url=statuses, status_code=502)
    added = {
        "id": 5,
        "state": "success",
        "environment_url": "https://web.example/",
        "log_url": "",
        "description": "",
    }
    httpx_mock.add_response(method="GET", url=f"{statuses}?per_page=1", json=[added])
    set_status(client, 11, "success", environment_url="https://web.example/")
    assert len(posts(httpx_mock)) == 1


def test_a_502_before_a_status_was_added_adds_it_once_more(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    statuses = f"{DEPLOYMENTS}/11/statuses"
    httpx_mock.add_response(method="POST", url=statuses, status_code=502)
    earlier = {"id": 4, "state": "in_progress", "environment_url": "", "log_url": "", "description": ""}
    httpx_mock.add_response(method="GET", url=f"{statuses}?per_page=1", json=[earlier])
    httpx_mock.add_response(method="POST", url=statuses, status_code=201, json={"id": 5, "state": "success"})
    set_status(client, 11, "success", environment_url="https://web.example/")
    assert len(posts(httpx_mock)) == 2


def test_a_502_after_github_created_the_comment_finds_ours_by_marker_and_run_stamp(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    comments = f"{REPO_URL}/issues/3/comments"
    stamp = RunStamp(SHA, "2026-01-01T00:00:00.000000Z", "ready")
    ours = {"id": 77, "user": {"login": BOT}, "body": compose("vercel/web", stamp, "### ready")}
    listings = iter([[], [ours], [ours]])  # before the create, the lookup, the race check
    httpx_mock.add_callback(
        lambda request: httpx.Response(200, json=next(listings)),
        method="GET",
        url=f"{comments}?per_page=100",
        is_reusable=True,
    )
    httpx_mock.add_response(method="POST", url=comments, status_code=502)
    sticky = StickyComment(client, pr_number=3, key="vercel/web", identity=Identity(BOT))
    result = sticky.publish("### ready", stamp, check_head=False)
    assert (result.comment_id, result.action) == (77, "created")
    assert len(posts(httpx_mock)) == 1
    assert json.loads(posts(httpx_mock)[0].content)["body"] == ours["body"]
