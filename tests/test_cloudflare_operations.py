"""Which deployment is live, which one a rollback restores, which are a PR's previews."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import InputError, NotFoundError, PlatformError
from ci_deploy.platforms.cloudflare_pages import operations as ops
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi
from ci_deploy.platforms.cloudflare_pages.deployments import DeploymentsApi

BASE = "https://api.test/client/v4"
PROJECT = f"{BASE}/accounts/acc/pages/projects/site"
DEPLOYMENTS = f"{PROJECT}/deployments"


def dep(
    id: str, created: str, env: str = "production", status: str = "success", branch: str = "main"
) -> dict[str, Any]:
    return {
        "id": id,
        "environment": env,
        "created_on": f"2026-01-0{created}T00:00:00Z",
        "latest_stage": {"name": "deploy", "status": status},
        "deployment_trigger": {"metadata": {"branch": branch}},
    }


def ok(result: object) -> dict[str, object]:
    return {"success": True, "errors": [], "result": result, "result_info": {"total_count": 0}}


HISTORY = [
    dep("d4", "4", status="failure"),
    dep("d3", "3"),
    dep("d2", "2"),
    dep("p1", "2", env="preview"),
    dep("d1", "1"),
]


def test_live_is_the_canonical_deployment_else_the_newest_successful_production() -> None:
    assert ops.live_production({"canonical_deployment": dep("d2", "2")}, HISTORY)["id"] == "d2"  # type: ignore[index]
    assert ops.live_production({}, HISTORY)["id"] == "d3"  # type: ignore[index]
    assert ops.live_production({}, []) is None


def test_previous_is_the_newest_successful_production_before_the_live_one() -> None:
    assert ops.previous_production(dep("d3", "3"), HISTORY)["id"] == "d2"  # type: ignore[index]
    assert ops.previous_production(dep("d1", "1"), HISTORY) is None


def test_branch_previews_never_include_production() -> None:
    history = [*HISTORY, dep("p2", "5", env="preview", branch="feature")]
    assert [d["id"] for d in ops.branch_previews(history, "feature")] == ["p2"]
    assert ops.branch_previews(history, "main") == [history[3]]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def operations(clock: Clock) -> ops.DeploymentOperations:
    api = CloudflareApi("tok_123", BASE, sleep=clock.sleep)

    def project() -> dict[str, Any]:
        return dict(api.call("GET", "accounts/acc/pages/projects/site"))

    return ops.DeploymentOperations(
        DeploymentsApi(api, "acc", "site"), project, sleep=clock.sleep, clock=clock
    )


def test_rollback_restores_the_previous_production_and_confirms_it(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d3", "3")}))
    httpx_mock.add_response(url=f"{DEPLOYMENTS}?env=production&page=1&per_page=25", json=ok(HISTORY))
    httpx_mock.add_response(method="POST", url=f"{DEPLOYMENTS}/d2/rollback", json=ok(dep("d2", "2")))
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d3", "3")}))  # not yet
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d2", "2")}))
    assert operations(Clock()).rollback(None)["id"] == "d2"


def test_rollback_that_never_shows_fails_within_its_bound(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d3", "3")}), is_reusable=True)
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/d2", json=ok(dep("d2", "2")))
    httpx_mock.add_response(method="POST", url=f"{DEPLOYMENTS}/d2/rollback", json=ok(None))
    clock = Clock()
    with pytest.raises(PlatformError, match="did not take effect"):
        operations(clock).rollback("d2")
    assert clock.now == pytest.approx(ops.CONFIRM_SECONDS)


def test_rollback_with_nothing_earlier_names_deployment_id(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d1", "1")}))
    httpx_mock.add_response(url=f"{DEPLOYMENTS}?env=production&page=1&per_page=25", json=ok([dep("d1", "1")]))
    with pytest.raises(NotFoundError) as caught:
        operations(Clock()).rollback(None)
    assert caught.value.input_name == "deployment-id"


def test_rollback_to_a_preview_is_refused_with_exit_2(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d3", "3")}))
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/p1", json=ok(dep("p1", "2", env="preview")))
    with pytest.raises(InputError, match="preview cannot be promoted") as caught:
        operations(Clock()).rollback("p1")
    assert caught.value.exit_code == 2 and caught.value.input_name == "deployment-id"


def test_the_live_production_deployment_is_never_deleted(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=PROJECT, json=ok({"canonical_deployment": dep("d3", "3")}))
    with pytest.raises(InputError, match="never deleted"):
        operations(Clock()).delete("d3")


def test_previews_are_the_branch_ones_plus_known_ids_that_are_previews(httpx_mock: HTTPXMock) -> None:
    listed = [dep("p1", "2", env="preview", branch="feature"), dep("p2", "3", env="preview", branch="other")]
    httpx_mock.add_response(url=f"{DEPLOYMENTS}?env=preview&page=1&per_page=25", json=ok(listed))
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/p9", json=ok(dep("p9", "4", env="preview", branch="pr-3")))
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/d3", json=ok(dep("d3", "3")))
    httpx_mock.add_response(url=f"{DEPLOYMENTS}/gone", status_code=404, json={"success": False, "errors": []})
    found = operations(Clock()).previews("feature", {"p9", "d3", "gone", "p1"})
    assert sorted(d["id"] for d in found) == ["p1", "p9"]
