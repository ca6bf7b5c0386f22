"""The adapter as the pipeline uses it: connect, check limits, plan, deploy (request shapes)."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.artifact import Artifact, ArtifactFile
from ci_deploy.errors import InputError, LimitError
from ci_deploy.platforms import CLOUDFLARE_PAGES, open_platform
from ci_deploy.platforms.base import Deployment, DeployRequest, PlatformSettings
from ci_deploy.platforms.cloudflare_pages.adapter import CloudflarePages
from ci_deploy.platforms.cloudflare_pages.files import hash_chunks

BASE = "https://api.test/client/v4"
PROJECT = f"{BASE}/accounts/acc/pages/projects/site"
API_AUTH = {"Authorization": "Bearer tok_123"}


def ok(result: object) -> dict[str, object]:
    return {"success": True, "errors": [], "result": result}


def jwt(claims: dict[str, object]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"e30.{payload}.sig"


def project(production_branch: str = "main") -> dict[str, Any]:
    return {
        "name": "site",
        "subdomain": "site-x1.pages.dev",
        "production_branch": production_branch,
        "deployment_configs": {"production": {"env_vars": {"A": {"type": "plain_text"}}}, "preview": {}},
    }


def deployment(env: str = "production", branch: str = "main", status: str = "success") -> dict[str, Any]:
    return {
        "id": "dep-1",
        "url": "https://dep1.site-x1.pages.dev",
        "environment": env,
        "aliases": ["https://feature.site-x1.pages.dev"] if env == "preview" else None,
        "latest_stage": {"name": "deploy", "status": status},
        "deployment_trigger": {"metadata": {"branch": branch, "commit_hash": "sha"}},
        "created_on": "2026-01-01T00:00:00Z",
    }


def artifact(tmp_path: Path) -> Artifact:
    files = {"index.html": b"<h1>hi</h1>", "_headers": b"/*\n  X: y\n", ".git/HEAD": b"ref"}
    entries = []
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
        entries.append(ArtifactFile(path, tmp_path / path, len(data)))
    return Artifact(tmp_path, entries, "dist/")


def pages(production_branch: str = "main", **kwargs: Any) -> CloudflarePages:
    settings = PlatformSettings(
        token="tok_123",
        project="site",
        account="acc",
        api_url=BASE,
        production_branch=production_branch,
        **kwargs,
    )
    return CloudflarePages(settings, sleep=lambda _: None)


def connected(httpx_mock: HTTPXMock, production_branch: str = "main") -> CloudflarePages:
    httpx_mock.add_response(url=PROJECT, match_headers=API_AUTH, json=ok(project(production_branch)))
    platform = pages()
    platform.connect()
    return platform


def expect_upload(httpx_mock: HTTPXMock, token: str, missing: bool = True) -> str:
    key = hash_chunks([b"<h1>hi</h1>"], "html")
    httpx_mock.add_response(url=f"{PROJECT}/upload-token", match_headers=API_AUTH, json=ok({"jwt": token}))
    jwt_auth = {"Authorization": f"Bearer {token}"}
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/check-missing",
        match_headers=jwt_auth,
        match_json={"hashes": [key]},
        json=ok([key] if missing else []),
    )
    if missing:
        httpx_mock.add_response(url=f"{BASE}/pages/assets/upload", match_headers=jwt_auth, json=ok(None))
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/upsert-hashes",
        match_headers=jwt_auth,
        match_json={"hashes": [key]},
        json=ok(None),
    )
    return key


def test_open_platform_gives_the_cloudflare_adapter() -> None:
    platform = open_platform("cloudflare-pages", PlatformSettings(token="t", project="p"))
    assert isinstance(platform, CloudflarePages) and platform.name == "cloudflare-pages"


def test_production_deploy_sends_the_projects_own_production_branch(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    platform = connected(httpx_mock, production_branch="trunk")
    key = expect_upload(httpx_mock, jwt({"max_file_count_allowed": 10}))
    httpx_mock.add_response(
        method="POST",
        url=f"{PROJECT}/deployments",
        match_headers=API_AUTH,
        match_data={
            "manifest": json.dumps({"/index.html": key}, separators=(",", ":")),
            "branch": "trunk",
            "commit_hash": "sha",
            "commit_message": "msg",
            "commit_dirty": "false",
        },
        match_files=[("_headers", ("_headers", b"/*\n  X: y\n", "application/octet-stream"))],
        json=ok(deployment(branch="trunk")),
    )
    result = platform.deploy(
        artifact(tmp_path), DeployRequest("production", "main", "sha", commit_message="msg")
    )
    assert result == Deployment(
        id="dep-1",
        url="https://dep1.site-x1.pages.dev",
        environment="production",
        inspect_url="https://dash.cloudflare.com/acc/pages/view/site/dep-1",
        production_url="https://site-x1.pages.dev",
        branch="trunk",
        commit_sha="sha",
        created_on="2026-01-01T00:00:00Z",
        files_uploaded=1,
        bytes_uploaded=11,
    )


def test_mismatched_production_branch_is_a_warning_and_never_patched(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    httpx_mock.add_response(url=PROJECT, json=ok(project("trunk")))
    pages(production_branch="main").connect()
    assert "from branch 'trunk', not 'main'" in caplog.text
    assert [r.method for r in httpx_mock.get_requests()] == ["GET"]


def test_wait_false_returns_a_building_deployment_without_polling(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    platform = connected(httpx_mock)
    expect_upload(httpx_mock, jwt({}), missing=False)
    httpx_mock.add_response(
        method="POST",
        url=f"{PROJECT}/deployments",
        json=ok(deployment("preview", "feature", status="active")),
    )
    request = DeployRequest("preview", "feature", "sha", wait=False)
    result = platform.deploy(artifact(tmp_path), request)
    assert (result.state, result.alias_url, result.files_uploaded) == (
        "building",
        "https://feature.site-x1.pages.dev",
        0,
    )


def test_a_preview_named_like_the_production_branch_is_refused_before_upload(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    platform = connected(httpx_mock)
    with pytest.raises(InputError) as caught:
        platform.deploy(artifact(tmp_path), DeployRequest("preview", "main", "sha"))
    assert caught.value.input_name == "branch"


def test_the_upload_tokens_file_limit_is_checked_before_uploading(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    platform = connected(httpx_mock)
    httpx_mock.add_response(
        url=f"{PROJECT}/upload-token", json=ok({"jwt": jwt({"max_file_count_allowed": 2})})
    )
    (tmp_path / "x").write_bytes(b"x")
    files = [ArtifactFile(f"f{i}.txt", tmp_path / "x", 1) for i in range(3)]
    with pytest.raises(LimitError, match=r"at most 2.*'f2\.txt'"):
        platform.deploy(Artifact(tmp_path, files, "dist/"), DeployRequest("production", "main", "sha"))
    assert [r.url.path for r in httpx_mock.get_requests()][-1].endswith("/upload-token")  # nothing sent


def test_the_limit_check_makes_no_request(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    big = ArtifactFile("big.bin", tmp_path / "big.bin", 26 * 1024 * 1024)
    with pytest.raises(LimitError, match=r"big\.bin"):
        CLOUDFLARE_PAGES.check_limits(Artifact(tmp_path, [big], "dist/"), "production")
    assert httpx_mock.get_requests() == []


def test_plan_upload_counts_new_files_with_read_only_calls(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    platform = connected(httpx_mock)
    key = hash_chunks([b"<h1>hi</h1>"], "html")
    httpx_mock.add_response(url=f"{PROJECT}/upload-token", json=ok({"jwt": jwt({})}))
    httpx_mock.add_response(url=f"{BASE}/pages/assets/check-missing", json=ok([key]))
    plan = platform.plan_upload(artifact(tmp_path), DeployRequest("production", "main", "sha"))
    assert (plan.files_total, plan.files_distinct, plan.files_new, plan.bytes_new) == (1, 1, 1, 11)


def test_read_only_connect_to_a_missing_project_creates_nothing(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=PROJECT, status_code=404, json={"success": False, "errors": [{"code": 8000007}]}
    )
    platform = pages()
    platform.connect(read_only=True)
    assert platform.project is None
    assert platform.find_previews(1, "feature", {"x"}) == []


def test_connect_creates_a_missing_project_with_the_production_branch(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=PROJECT, status_code=404, json={"success": False, "errors": [{"code": 8000007}]}
    )
    httpx_mock.add_response(
        method="POST",
        url=f"{BASE}/accounts/acc/pages/projects",
        match_json={
            "name": "site",
            "production_branch": "main",
            "deployment_configs": {"production": {}, "preview": {}},
        },
        json=ok(project()),
    )
    platform = pages()
    platform.connect()
    assert platform.existing_env_names("production") == {"A"}


def test_health_hints_name_the_sandbox_header_and_this_deployment() -> None:
    hints = pages().health_hints(Deployment(id="dep-1", url="u", environment="preview"))
    assert (hints.served_by_header, hints.served_by_values) == ("x-sandbox-deployment", ("dep-1",))


def test_no_request_ever_sends_the_api_token_to_the_asset_store(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    platform = connected(httpx_mock)
    expect_upload(httpx_mock, jwt({}))
    httpx_mock.add_response(method="POST", url=f"{PROJECT}/deployments", json=ok(deployment()))
    platform.deploy(artifact(tmp_path), DeployRequest("production", "main", "sha"))
    for request in httpx_mock.get_requests(url=re.compile(r".*/pages/assets/.*")):
        assert "tok_123" not in request.headers["Authorization"]
