"""Creating exactly one deployment, waiting for it with a bound, delete and logs."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import DeployFailed, DeployTimeout, PlatformError
from ci_deploy.http import RETRY_BUDGET
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi
from ci_deploy.platforms.cloudflare_pages.deployments import DeploymentsApi, build_error

BASE = "https://api.test/client/v4"
DEPLOYMENTS = f"{BASE}/accounts/acc/pages/projects/site/deployments"
LIST = re.compile(re.escape(DEPLOYMENTS) + r"\?page=\d+&per_page=25$")
FIELDS = {
    "manifest": '{"/index.html":"h"}',
    "branch": "feature",
    "commit_hash": "sha1",
    "commit_dirty": "false",
}
FILES = [("_headers", ("_headers", b"/*\n  X: y\n", "application/octet-stream"))]


class Clock:
    """A fake monotonic clock moved only by the fake sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ok(result: object, **extra: object) -> dict[str, object]:
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


def deployment(stage: str = "deploy", status: str = "success", **extra: Any) -> dict[str, Any]:
    return {
        "id": "dep-1",
        "url": "https://dep1.site.pages.dev",
        "environment": "preview",
        "latest_stage": {"name": stage, "status": status},
        "deployment_trigger": {"metadata": {"branch": "feature", "commit_hash": "sha1"}},
        "created_on": "2026-01-01T00:00:10Z",
        **extra,
    }


def api_for(clock: Clock) -> DeploymentsApi:
    return DeploymentsApi(CloudflareApi("tok_123", BASE, sleep=clock.sleep), "acc", "site", clock=clock)


def test_create_sends_the_multipart_form_with_the_api_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=DEPLOYMENTS,
        match_headers={"Authorization": "Bearer tok_123"},
        match_data=FIELDS,
        match_files=FILES,
        json=ok(deployment()),
    )
    assert api_for(Clock()).create(FIELDS, FILES)["id"] == "dep-1"


def test_create_is_retried_after_429_which_did_not_create_anything(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=DEPLOYMENTS, status_code=429, headers={"Retry-After": "2"}, json={"success": False}
    )
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, json=ok(deployment()))
    clock = Clock()
    assert api_for(clock).create(FIELDS, FILES)["id"] == "dep-1"
    assert clock.sleeps == [2.0]


def test_reset_during_create_finds_the_existing_deployment_instead_of_a_duplicate(
    httpx_mock: HTTPXMock,
) -> None:
    # The server's clock (Date) is 2026-01-01T00:00:08Z when we ask; the deployment is from 00:00:10.
    date = email.utils.formatdate(1767225608, usegmt=True)
    httpx_mock.add_exception(httpx.RemoteProtocolError("connection reset"), method="POST", url=DEPLOYMENTS)
    older = deployment(id="someone-else", created_on="2025-12-31T23:00:00Z")
    httpx_mock.add_response(method="GET", url=LIST, headers={"Date": date}, json=ok([deployment(), older]))
    client = CloudflareApi("tok_123", BASE, sleep=lambda _: None)
    client.clock_offset = 1767225608 - time.time()  # as learnt from earlier answers' Date headers
    assert DeploymentsApi(client, "acc", "site").create(FIELDS, FILES)["id"] == "dep-1"
    assert len(httpx_mock.get_requests(method="POST")) == 1


def test_create_is_sent_again_only_when_the_lookup_proves_it_did_not_happen(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, status_code=502, html="<html>bad gateway</html>")
    stale = deployment(id="old", created_on="2020-01-01T00:00:00Z")
    httpx_mock.add_response(method="GET", url=LIST, json=ok([stale]), is_reusable=True)
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, json=ok(deployment()))
    clock = Clock()
    assert api_for(clock).create(FIELDS, FILES)["id"] == "dep-1"
    assert (
        len(httpx_mock.get_requests(method="GET")) == 3
    )  # twice (the server may lag), once after the backoff
    assert clock.sleeps[0] == 2.0 and len(clock.sleeps) == 2  # the settle, then backoff
    assert len(httpx_mock.get_requests(method="POST")) == 2


def test_8000000_on_create_is_an_unknown_outcome_looked_up_before_each_resend_until_the_budget_is_spent(
    httpx_mock: HTTPXMock,
) -> None:
    error = {"success": False, "errors": [{"code": 8000000, "message": "An unknown error occurred."}]}
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, status_code=400, json=error, is_reusable=True)
    httpx_mock.add_response(method="GET", url=LIST, json=ok([]), is_reusable=True)
    clock = Clock()
    with pytest.raises(PlatformError, match=r"failed \d+ times: the API answered An unknown error"):
        api_for(clock).create(FIELDS, FILES)
    creates = httpx_mock.get_requests(method="POST")
    assert len(creates) > 3 and len(httpx_mock.get_requests(method="GET")) == 3 * len(creates) - 1
    assert RETRY_BUDGET - 10 < sum(clock.sleeps) <= RETRY_BUDGET


def test_a_create_that_lands_during_the_backoff_is_found_there_not_sent_again(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("no answer within 30s"), method="POST", url=DEPLOYMENTS)
    stale = deployment(id="old", created_on="2020-01-01T00:00:00Z")
    httpx_mock.add_response(method="GET", url=LIST, json=ok([stale]))
    httpx_mock.add_response(method="GET", url=LIST, json=ok([stale]))
    late = deployment(created_on=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 5)))
    httpx_mock.add_response(method="GET", url=LIST, json=ok([late, stale]))
    clock = Clock()
    assert api_for(clock).create(FIELDS, FILES)["id"] == "dep-1"
    assert len(httpx_mock.get_requests(method="POST")) == 1


def test_a_rejected_create_is_not_retried(httpx_mock: HTTPXMock) -> None:
    error = {"success": False, "errors": [{"code": 8000057, "message": "manifest invalid"}]}
    httpx_mock.add_response(method="POST", url=DEPLOYMENTS, status_code=400, json=error)
    with pytest.raises(PlatformError, match="manifest invalid"):
        api_for(Clock()).create(FIELDS, FILES)


def test_wait_polls_at_once_then_backs_off_until_the_deploy_stage_succeeds(httpx_mock: HTTPXMock) -> None:
    url = f"{DEPLOYMENTS}/dep-1"
    for stage, status in [
        ("build", "active"),
        ("deploy", "active"),
        ("deploy", "active"),
        ("deploy", "success"),
    ]:
        httpx_mock.add_response(url=url, json=ok(deployment(stage, status)))
    clock = Clock()
    result = api_for(clock).wait(deployment("queued", "idle"), timeout=60)
    assert result["latest_stage"]["status"] == "success"
    assert clock.sleeps == [0.1, 0.2, 0.4]  # the first poll did not wait


def test_deploy_stage_active_is_never_reported_as_ready(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{DEPLOYMENTS}/dep-1", json=ok(deployment("deploy", "active")), is_reusable=True
    )
    clock = Clock()
    with pytest.raises(DeployTimeout, match="last seen stage: deploy active"):
        api_for(clock).wait(deployment("deploy", "active"), timeout=10)
    assert clock.now == pytest.approx(10.0)
    assert max(clock.sleeps) <= 5.0


def test_failure_raises_with_the_tail_of_the_build_log(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/dep-1", json=ok(deployment("deploy", "failure")))
    httpx_mock.add_response(
        url=f"{DEPLOYMENTS}/dep-1/history/logs?size=10000000",
        json=ok(
            {"total": 2, "data": [{"ts": "t", "line": "Starting"}, {"ts": "t", "line": "Error: no space"}]}
        ),
    )
    with pytest.raises(DeployFailed, match=r"failure at stage 'deploy': Error: no space$") as caught:
        api_for(Clock()).wait(deployment("queued", "idle"), timeout=60)
    assert caught.value.details.endswith("Error: no space")


@pytest.mark.parametrize(
    ("tail", "line"),
    [
        ("Starting\nError: no space\nCleaning up", "Error: no space"),
        ("Starting\nDeploy failed: quota\n", "Deploy failed: quota"),
        ("Starting\nDone", "Done"),
        ("", "(no build log)"),
    ],
)
def test_the_build_error_is_the_last_line_naming_an_error(tail: str, line: str) -> None:
    assert build_error(tail) == line


def test_status_poll_survives_a_failing_get(httpx_mock: HTTPXMock) -> None:
    url = f"{DEPLOYMENTS}/dep-1"
    for _ in range(6):  # one request's whole retry budget
        httpx_mock.add_response(url=url, status_code=503, html="<html>unavailable</html>")
    httpx_mock.add_response(url=url, json=ok(deployment()))
    assert api_for(Clock()).wait(deployment("queued", "idle"), timeout=600)["id"] == "dep-1"


def test_a_status_check_refused_for_good_ends_the_wait_naming_the_call(httpx_mock: HTTPXMock) -> None:
    body = {"success": False, "errors": [{"code": 8000015, "message": "Invalid deployment id"}]}
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/dep-1", status_code=400, json=body)
    named = r"^could not check the status of deployment dep-1: Invalid deployment id"
    with pytest.raises(PlatformError, match=named):
        api_for(Clock()).wait(deployment("queued", "idle"), timeout=600)


def test_status_checks_failing_until_the_timeout_are_reported_with_their_reason(
    httpx_mock: HTTPXMock,
) -> None:
    body = {"success": False, "errors": [{"code": 8000000, "message": "An unknown error occurred"}]}
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/dep-1", status_code=502, json=body, is_reusable=True)
    clock = Clock()
    with pytest.raises(DeployTimeout, match=r"last status check failed: An unknown error .*\(HTTP 502\)"):
        api_for(clock).wait(deployment("deploy", "active"), timeout=10)


def test_a_rate_limited_status_check_is_tried_again_within_the_wait(httpx_mock: HTTPXMock) -> None:
    url = f"{DEPLOYMENTS}/dep-1"
    limited = {"success": False, "errors": [{"code": 971, "message": "Please wait"}]}
    for _ in range(7):  # more than one request's retry budget
        httpx_mock.add_response(url=url, status_code=429, headers={"Retry-After": "1"}, json=limited)
    httpx_mock.add_response(url=url, json=ok(deployment()))
    assert api_for(Clock()).wait(deployment("queued", "idle"), timeout=600)["id"] == "dep-1"


def test_a_retry_after_longer_than_the_wait_is_not_slept_through(httpx_mock: HTTPXMock) -> None:
    busy = {"success": False, "errors": [{"code": 8000000, "message": "busy"}]}
    httpx_mock.add_response(
        url=f"{DEPLOYMENTS}/dep-1",
        status_code=503,
        headers={"Retry-After": "60"},
        json=busy,
        is_reusable=True,
    )
    clock = Clock()
    with pytest.raises(DeployTimeout, match="HTTP 503"):
        api_for(clock).wait(deployment("deploy", "active"), timeout=10)
    assert max(clock.sleeps) <= 10


def test_delete_forces_aliased_deployments_and_accepts_gone_ones(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", url=f"{DEPLOYMENTS}/dep-1?force=true", json=ok(None))
    httpx_mock.add_response(
        method="DELETE",
        url=f"{DEPLOYMENTS}/gone?force=true",
        status_code=404,
        json={"success": False, "errors": [{"code": 8000009, "message": "not found"}]},
    )
    api = api_for(Clock())
    api.delete("dep-1")
    api.delete("gone")


@pytest.mark.parametrize(
    ("method", "path", "call", "named"),
    [
        ("DELETE", "/dep-1?force=true", lambda api: api.delete("dep-1"), "delete deployment"),
        ("POST", "/dep-1/rollback", lambda api: api.rollback("dep-1"), "roll production back to deployment"),
        ("GET", "?page=1&per_page=25", lambda api: list(api.listing()), "list the project's deployments"),
    ],
    ids=["delete", "rollback", "list"],
)
def test_a_refused_operation_says_which_one(
    method: str, path: str, call: Callable[[DeploymentsApi], object], named: str, httpx_mock: HTTPXMock
) -> None:
    body = {"success": False, "errors": [{"code": 8000000, "message": "nope"}]}
    httpx_mock.add_response(method=method, url=f"{DEPLOYMENTS}{path}", status_code=400, json=body)
    with pytest.raises(PlatformError, match=f"^could not {re.escape(named)}( dep-1)?: nope"):
        call(api_for(Clock()))


def test_rollback_posts_to_the_deployment(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{DEPLOYMENTS}/dep-0/rollback", json=ok(deployment(id="dep-0"))
    )
    api_for(Clock()).rollback("dep-0")
