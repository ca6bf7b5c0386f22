"""The Vercel adapter as the pipeline uses it: connect, deploy, aliases, operations, hints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy.artifact import Artifact, ArtifactFile
from ci_deploy.errors import ArtifactError, InputError
from ci_deploy.platforms.base import Deployment, DeployRequest, PlatformSettings
from ci_deploy.platforms.vercel import SPEC as VERCEL
from ci_deploy.platforms.vercel.adapter import Vercel

API = "https://api.vercel.com"
T = "teamId=team_abc"
PROJECT = {"id": "prj_1", "name": "web", "targets": {"production": {"id": "dpl_live"}}}
PREVIEW = DeployRequest(
    environment="preview", branch="feat/x", commit_sha="abc", pr_number=7, run_key="run-1"
)
PRODUCTION = DeployRequest(environment="production", branch="main", commit_sha="abc", run_key="run-2")


def make_vercel(**settings: Any) -> Vercel:
    fake = FakeTime()
    options = {"token": "tok_1", "project": "web", "account": "team_abc", **settings}
    return Vercel(PlatformSettings(**options), sleep=fake.sleep, clock=fake.clock, wall_clock=lambda: 1.7e9)


@pytest.fixture
def vercel(httpx_mock: HTTPXMock) -> Vercel:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/web?{T}", json=PROJECT)
    platform = make_vercel()
    platform.connect()
    return platform


def make_artifact(root: Path, files: dict[str, bytes]) -> Artifact:
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return Artifact(root, [ArtifactFile(p, root / p, len(files[p])) for p in sorted(files)], "dist/")


def ready(deployment_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": deployment_id, "readyState": "READY", "aliasAssigned": 1, **extra}


def test_a_static_preview_deploy_uploads_what_is_missing_and_reports_this_deployments_urls(
    httpx_mock: HTTPXMock, vercel: Vercel, tmp_path: Path
) -> None:
    artifact = make_artifact(tmp_path, {"index.html": b"<h1>hi</h1>"})
    sha = hashlib.sha1(b"<h1>hi</h1>").hexdigest()
    create = f"{API}/v13/deployments?{T}&skipAutoDetectionConfirmation=1"
    missing = {"error": {"code": "missing_files", "message": "Missing files", "missing": [sha]}}
    httpx_mock.add_response(method="POST", url=create, status_code=400, json=missing)
    httpx_mock.add_response(
        method="POST", url=f"{API}/v2/files?{T}", match_headers={"x-now-digest": sha}, json={}
    )
    created = {"id": "dpl_9", "url": "web-abc-acme.vercel.app", "readyState": "QUEUED"}
    httpx_mock.add_response(method="POST", url=create, json=created)
    body = {
        **created,
        "readyState": "READY",
        "aliasAssigned": 1,
        "alias": ["web-git-feat-x-acme.vercel.app"],
        "inspectorUrl": "https://vercel.com/acme/web/9",
    }
    httpx_mock.add_response(method="GET", url=f"{API}/v13/deployments/dpl_9?{T}", json=body)
    deployment = vercel.deploy(artifact, PREVIEW)
    assert deployment.url == "https://web-abc-acme.vercel.app"
    assert deployment.alias_url == "https://web-git-feat-x-acme.vercel.app"
    assert deployment.inspect_url == "https://vercel.com/acme/web/9"
    assert (deployment.environment, deployment.state, deployment.files_uploaded) == ("preview", "ready", 1)
    assert (deployment.branch, deployment.pr_number) == ("feat/x", 7)
    assert all("teamId=team_abc" in str(r.url) for r in httpx_mock.get_requests())
    sent = json.loads(httpx_mock.get_requests(method="POST", url=create)[-1].content)
    assert "target" not in sent and sent["meta"]["ciDeployRunKey"] == "run-1"


def test_not_waiting_returns_building_after_the_create(
    httpx_mock: HTTPXMock, vercel: Vercel, tmp_path: Path
) -> None:
    artifact = make_artifact(tmp_path, {"index.html": b"x"})
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/v13/deployments?{T}&skipAutoDetectionConfirmation=1",
        json={"id": "dpl_1", "url": "web-1.vercel.app", "readyState": "QUEUED"},
    )
    request = DeployRequest(environment="preview", branch="b", commit_sha="c", wait=False)
    deployment = vercel.deploy(artifact, request)
    assert (deployment.state, deployment.url) == ("building", "https://web-1.vercel.app")


def test_a_production_deploy_after_a_rollback_is_promoted_explicitly(
    httpx_mock: HTTPXMock, vercel: Vercel, tmp_path: Path
) -> None:
    artifact = make_artifact(tmp_path, {".vercel/output/config.json": b'{"version": 3}'})
    paused = {
        **PROJECT,
        "lastAliasRequest": {"type": "rollback", "jobStatus": "succeeded", "toDeploymentId": "dpl_0"},
    }
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=paused)
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/v13/deployments?{T}&skipAutoDetectionConfirmation=1&prebuilt=1",
        json={"id": "dpl_5", "url": "web-5.vercel.app"},
    )
    staged = ready("dpl_5", url="web-5.vercel.app", target="production", aliasAssigned=None)
    httpx_mock.add_response(method="GET", url=f"{API}/v13/deployments/dpl_5?{T}", json=staged)
    httpx_mock.add_response(method="POST", url=f"{API}/v10/projects/prj_1/promote/dpl_5?{T}", status_code=201)
    promoted = {
        **PROJECT,
        "lastAliasRequest": {"type": "promote", "jobStatus": "succeeded", "toDeploymentId": "dpl_5"},
    }
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=promoted)
    live = {**staged, "alias": ["web.vercel.app"], "aliasAssigned": 2}
    httpx_mock.add_response(method="GET", url=f"{API}/v13/deployments/dpl_5?{T}", json=live)
    deployment = vercel.deploy(artifact, PRODUCTION)
    assert deployment.production_url == "https://web.vercel.app"
    create = f"{API}/v13/deployments?{T}&skipAutoDetectionConfirmation=1&prebuilt=1"
    sent = json.loads(httpx_mock.get_requests(method="POST", url=create)[0].content)
    assert sent["target"] == "production"
    assert [f["file"] for f in sent["files"]] == [".vercel/output/config.json"]


def test_a_preview_built_output_sent_to_production_is_refused_before_any_call(tmp_path: Path) -> None:
    artifact = make_artifact(
        tmp_path,
        {
            ".vercel/output/config.json": b'{"version": 3}',
            ".vercel/output/builds.json": b'{"target": "preview"}',
        },
    )
    with pytest.raises(ArtifactError, match="built for preview"):
        VERCEL.check_limits(artifact, PRODUCTION.environment)


def test_a_preview_domain_is_assigned_and_opened_with_the_deployments_sandbox_port(
    httpx_mock: HTTPXMock, vercel: Vercel
) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/v2/deployments/dpl_1/aliases?{T}",
        match_json={"alias": "pr-7.preview.localhost"},
        json={"uid": "al_1", "alias": "pr-7.preview.localhost"},
    )
    deployment = Deployment(id="dpl_1", url="http://web-1.vercel.localhost:8123", environment="preview")
    assert (
        vercel.assign_preview_domain(deployment, "pr-7.preview.localhost")
        == "http://pr-7.preview.localhost:8123"
    )


def test_removing_a_preview_domain_that_is_gone_is_fine(httpx_mock: HTTPXMock, vercel: Vercel) -> None:
    httpx_mock.add_response(
        method="DELETE", url=f"{API}/v2/aliases/pr-7.example.com?{T}", status_code=404, json={"error": {}}
    )
    vercel.remove_preview_domain("pr-7.example.com")


def test_find_previews_matches_the_pr_meta_and_known_ids_but_never_production(
    httpx_mock: HTTPXMock, vercel: Vercel
) -> None:
    listed = [
        {"uid": "dpl_a", "url": "a.vercel.app", "meta": {"githubPrId": "7"}, "target": None},
        {"uid": "dpl_b", "url": "b.vercel.app", "meta": {"githubPrId": "8"}, "target": None},
        {"uid": "dpl_c", "url": "c.vercel.app", "meta": {"githubPrId": "7"}, "target": "production"},
    ]
    httpx_mock.add_response(
        method="GET", url=f"{API}/v6/deployments?{T}&projectId=prj_1&limit=100", json={"deployments": listed}
    )
    httpx_mock.add_response(
        method="GET", url=f"{API}/v13/deployments/dpl_k?{T}", json={"id": "dpl_k", "url": "k.vercel.app"}
    )
    httpx_mock.add_response(
        method="GET", url=f"{API}/v13/deployments/dpl_p?{T}", json={"id": "dpl_p", "target": "production"}
    )
    found = vercel.find_previews(7, "feat/x", {"dpl_k", "dpl_p", "dpl_a"})
    assert sorted(d.id for d in found) == ["dpl_a", "dpl_k"]


def test_deleting_the_live_production_deployment_is_refused(httpx_mock: HTTPXMock, vercel: Vercel) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=PROJECT)
    with pytest.raises(InputError, match="live production"):
        vercel.delete_deployment("dpl_live")


def test_deleting_a_preview_calls_delete(httpx_mock: HTTPXMock, vercel: Vercel) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=PROJECT)
    httpx_mock.add_response(
        method="DELETE", url=f"{API}/v13/deployments/dpl_a?{T}", json={"state": "DELETED"}
    )
    vercel.delete_deployment("dpl_a")


def test_rollback_defaults_to_the_production_deployment_before_the_live_one(
    httpx_mock: HTTPXMock, vercel: Vercel
) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=PROJECT)
    listed = [
        {"uid": "dpl_live", "target": "production", "state": "READY", "created": 2},
        {"uid": "dpl_prev", "target": "production", "state": "READY", "created": 1},
    ]
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v6/deployments?{T}&projectId=prj_1&limit=100&target=production",
        json={"deployments": listed},
    )
    httpx_mock.add_response(
        method="POST", url=f"{API}/v9/projects/prj_1/rollback/dpl_prev?{T}", status_code=201
    )
    done = {"lastAliasRequest": {"type": "rollback", "jobStatus": "succeeded", "toDeploymentId": "dpl_prev"}}
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=done)
    httpx_mock.add_response(
        method="GET", url=f"{API}/v13/deployments/dpl_prev?{T}", json=ready("dpl_prev", target="production")
    )
    held = {"aliases": [{"uid": "al_1", "alias": "web.vercel.app"}]}
    httpx_mock.add_response(method="GET", url=f"{API}/v2/deployments/dpl_prev/aliases?{T}", json=held)
    restored = vercel.rollback()
    assert (restored.id, restored.production_url) == ("dpl_prev", "https://web.vercel.app")


def test_promoting_a_preview_creates_one_production_deployment_of_it(
    httpx_mock: HTTPXMock, vercel: Vercel
) -> None:
    httpx_mock.add_response(
        method="GET", url=f"{API}/v13/deployments/dpl_pr?{T}", json={"id": "dpl_pr", "target": None}
    )
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_1?{T}&rollbackInfo=true", json=PROJECT)
    httpx_mock.add_response(method="POST", url=f"{API}/v13/deployments?{T}", json={"id": "dpl_new"})
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v13/deployments/dpl_new?{T}",
        json=ready("dpl_new", target="production", alias=["web.vercel.app"], url="web-new.vercel.app"),
    )
    deployment = vercel.promote("dpl_pr")
    assert (deployment.id, deployment.production_url) == ("dpl_new", "https://web.vercel.app")
    sent = json.loads(httpx_mock.get_requests(method="POST")[0].content)
    assert sent["deploymentId"] == "dpl_pr" and sent["target"] == "production"


def test_health_hints_carry_the_bypass_secret_and_the_served_by_header() -> None:
    platform = make_vercel(protection_bypass="bypass-secret-123")
    hints = platform.health_hints(Deployment(id="dpl_1", url="https://x.vercel.app", environment="preview"))
    assert hints.headers == {"x-vercel-protection-bypass": "bypass-secret-123"}
    assert (hints.served_by_header, hints.served_by_values) == ("x-sandbox-deployment", ("dpl_1",))
    assert make_vercel().health_hints(Deployment("dpl_1", "u", "preview")).headers == {}


def test_slug_branch_follows_the_vercel_branch_alias_rule() -> None:
    assert VERCEL.slug_branch("Feature/Big_Thing") == "feature-big-thing"
