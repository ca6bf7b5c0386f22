"""Creating exactly one deployment: body shape, missing-files round, lost answers, retries."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import PlatformError
from ci_deploy.http import RETRY_BUDGET
from ci_deploy.platforms.base import DeployRequest
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError
from ci_deploy.platforms.vercel.deployments import (
    create_body,
    create_query,
    create_with_uploads,
)
from ci_deploy.platforms.vercel.files import FileEntry

API = "https://api.vercel.com"
CREATE = f"{API}/v13/deployments?teamId=team_abc&skipAutoDetectionConfirmation=1"
FILES = f"{API}/v2/files?teamId=team_abc"
LIST = f"{API}/v6/deployments?teamId=team_abc&projectId=prj_1&limit=100"
PROJECT = {"id": "prj_1", "name": "web"}
NOW_MS = 1_700_000_000_000

PREVIEW = DeployRequest(
    environment="preview",
    branch="feat/x",
    commit_sha="abc123",
    commit_message="Add x",
    pr_number=7,
    run_key="run-1",
    remote_url="https://github.com/acme/web",
    run_url="https://github.com/acme/web/actions/runs/1",
)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def api(sleeps: list[float]) -> VercelApi:
    client = VercelApi("tok_1", sleep=sleeps.append)
    client.scope = {"teamId": "team_abc"}
    return client


@pytest.fixture
def entries(tmp_path: Path) -> list[FileEntry]:
    out = []
    for name, data in (("index.html", b"<h1>hi</h1>"), ("copy.html", b"<h1>hi</h1>"), ("app.js", b"x=1")):
        (tmp_path / name).write_bytes(data)
        out.append(FileEntry(name, hashlib.sha1(data).hexdigest(), len(data), tmp_path / name))
    return out


def body_for(entries: list[FileEntry], request: DeployRequest = PREVIEW) -> dict[str, Any]:
    return create_body(PROJECT, entries, request, request.run_key, prebuilt=False)


def test_a_static_preview_body_has_no_target_and_no_build(entries: list[FileEntry]) -> None:
    body = body_for(entries)
    assert "target" not in body
    assert body["name"] == "web" and body["project"] == "prj_1"
    assert body["projectSettings"]["framework"] is None
    assert body["projectSettings"]["buildCommand"] is None
    assert body["projectSettings"]["installCommand"] is None
    assert body["projectSettings"]["sourceFilesOutsideRootDirectory"] is True
    assert body["gitMetadata"] == {
        "commitSha": "abc123",
        "commitRef": "feat/x",
        "commitMessage": "Add x",
        "remoteUrl": "https://github.com/acme/web",
        "dirty": False,
    }
    assert body["meta"] == {
        "githubCommitSha": "abc123",
        "githubCommitRef": "feat/x",
        "githubPrId": "7",
        "ciDeployRunKey": "run-1",
        "ciDeployRunUrl": "https://github.com/acme/web/actions/runs/1",
    }
    assert [f["file"] for f in body["files"]] == ["index.html", "copy.html", "app.js"]


def test_a_production_body_targets_production(entries: list[FileEntry]) -> None:
    request = DeployRequest(environment="production", branch="main", commit_sha="abc", run_key="r")
    body = body_for(entries, request)
    assert body["target"] == "production"
    assert "githubPrId" not in body["meta"]


def test_a_prebuilt_create_asks_for_prebuilt() -> None:
    assert create_query(prebuilt=True) == {"skipAutoDetectionConfirmation": "1", "prebuilt": "1"}
    assert create_query(prebuilt=False) == {"skipAutoDetectionConfirmation": "1"}


def test_missing_files_are_uploaded_once_then_the_identical_create_is_sent_again(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry]
) -> None:
    body = body_for(entries)
    html, js = entries[0].sha, entries[2].sha
    missing = {"error": {"code": "missing_files", "message": "Missing files", "missing": [html, js]}}
    httpx_mock.add_response(method="POST", url=CREATE, match_json=body, status_code=400, json=missing)
    httpx_mock.add_response(method="POST", url=FILES, match_headers={"x-vercel-digest": html}, json={})
    httpx_mock.add_response(method="POST", url=FILES, match_headers={"x-vercel-digest": js}, json={})
    httpx_mock.add_response(method="POST", url=CREATE, match_json=body, json={"id": "dpl_1"})
    data, uploaded = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_1"
    assert (uploaded.files, uploaded.bytes) == (2, 14)


def test_an_unchanged_redeploy_makes_one_create_and_no_upload_request(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry]
) -> None:
    body = body_for(entries)
    httpx_mock.add_response(method="POST", url=CREATE, match_json=body, json={"id": "dpl_2"})
    data, uploaded = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_2" and (uploaded.files, uploaded.bytes) == (0, 0)
    assert len(httpx_mock.get_requests(url=FILES)) == 0


def test_a_reset_during_create_finds_our_deployment_by_its_run_key_and_creates_no_duplicate(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry]
) -> None:
    body = body_for(entries)
    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected"), method="POST", url=CREATE)
    listed = [
        {"uid": "dpl_other", "created": NOW_MS + 5, "meta": {"ciDeployRunKey": "run-2"}},
        {"uid": "dpl_ours", "created": NOW_MS + 1, "meta": {"ciDeployRunKey": "run-1"}},
    ]
    httpx_mock.add_response(
        method="GET", url=LIST, json={"deployments": listed, "pagination": {"next": None}}
    )
    httpx_mock.add_response(
        method="GET", url=f"{API}/v13/deployments/dpl_ours?teamId=team_abc", json={"id": "dpl_ours"}
    )
    data, _ = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_ours"
    assert len(httpx_mock.get_requests(method="POST", url=CREATE)) == 1


def test_a_reset_during_create_that_created_nothing_creates_again(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry], sleeps: list[float]
) -> None:
    body = body_for(entries)
    httpx_mock.add_exception(httpx.ReadError("reset"), method="POST", url=CREATE)
    old = {"uid": "dpl_old", "created": NOW_MS - 3_600_000, "meta": {"ciDeployRunKey": "run-0"}}
    httpx_mock.add_response(
        method="GET", url=LIST, json={"deployments": [old], "pagination": {"next": 1}}, is_reusable=True
    )
    httpx_mock.add_response(method="POST", url=CREATE, match_json=body, json={"id": "dpl_new"})
    data, _ = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_new" and len(sleeps) == 1
    assert len(httpx_mock.get_requests(method="GET", url=LIST)) == 2  # at once, and after the backoff


def test_a_5xx_on_create_is_checked_against_the_list_before_retrying(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry]
) -> None:
    body = body_for(entries)
    httpx_mock.add_response(method="POST", url=CREATE, status_code=500)
    httpx_mock.add_response(
        method="GET", url=LIST, json={"deployments": [], "pagination": {"next": None}}, is_reusable=True
    )
    httpx_mock.add_response(method="POST", url=CREATE, json={"id": "dpl_3"})
    data, _ = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_3"


def test_a_429_on_create_waits_retry_after_and_retries(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry], sleeps: list[float]
) -> None:
    body = body_for(entries)
    httpx_mock.add_response(method="POST", url=CREATE, status_code=429, headers={"Retry-After": "3"})
    httpx_mock.add_response(method="POST", url=CREATE, json={"id": "dpl_4"})
    data, _ = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_4" and sleeps == [3.0]


def test_endless_5xx_on_create_is_looked_up_before_each_resend_until_the_budget_is_spent(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry], sleeps: list[float]
) -> None:
    body = body_for(entries)
    failure = {"error": {"code": "internal_server_error", "message": "An unexpected error occurred"}}
    httpx_mock.add_response(method="POST", url=CREATE, status_code=500, json=failure, is_reusable=True)
    httpx_mock.add_response(method="GET", url=LIST, json={"deployments": []}, is_reusable=True)
    with pytest.raises(
        VercelApiError,
        match=r"^creating the Vercel deployment failed: An unexpected error occurred \(HTTP 500\)$",
    ) as caught:
        create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert caught.value.exit_code == 1
    creates = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    lookups = [r for r in httpx_mock.get_requests() if r.method == "GET"]
    assert len(creates) == len(sleeps) + 1 > 5
    assert len(lookups) == 2 * len(creates) - 1  # at once and after each backoff
    assert RETRY_BUDGET - 10 < sum(sleeps) <= RETRY_BUDGET


def test_a_create_that_lands_during_the_backoff_is_found_there_not_sent_again(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry], sleeps: list[float]
) -> None:
    body = body_for(entries)
    httpx_mock.add_exception(httpx.ReadTimeout("no answer within 30s"), method="POST", url=CREATE)
    httpx_mock.add_response(method="GET", url=LIST, json={"deployments": [], "pagination": {"next": None}})
    ours = {
        "uid": "dpl_late",
        "created": NOW_MS + 5_000,
        "meta": {"ciDeployRunKey": body["meta"]["ciDeployRunKey"]},
    }
    httpx_mock.add_response(
        method="GET", url=LIST, json={"deployments": [ours], "pagination": {"next": None}}
    )
    httpx_mock.add_response(
        method="GET", url=f"{API}/v13/deployments/dpl_late?teamId=team_abc", json={"id": "dpl_late"}
    )
    data, _ = create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
    assert data["id"] == "dpl_late" and len(sleeps) == 1
    assert len(httpx_mock.get_requests(method="POST", url=CREATE)) == 1


def test_a_bad_request_on_create_is_not_retried(
    httpx_mock: HTTPXMock, api: VercelApi, entries: list[FileEntry]
) -> None:
    body = body_for(entries)
    error = {"error": {"code": "bad_request", "message": "Invalid request: `name` is bad"}}
    httpx_mock.add_response(method="POST", url=CREATE, status_code=400, json=error)
    with pytest.raises(
        PlatformError, match=r"deployment failed: Invalid request: `name` is bad \(HTTP 400\)$"
    ):
        create_with_uploads(api, body, create_query(prebuilt=False), entries, NOW_MS)
