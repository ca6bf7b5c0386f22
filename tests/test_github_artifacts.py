"""Run artifact download: the cross-host redirect never carries the token."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import NotFoundError
from ci_deploy.github.artifacts import download_run_artifact, pick_artifact
from ci_deploy.github.client import GitHubClient
from ci_deploy.github.errors import GitHubPermissionError
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.runtime import Sandbox

API = "https://api.github.com"
TOKEN = "ghs_artifactTestToken0123456789"
REPO = identities.GITHUB_REPOSITORY


def a_zip() -> bytes:
    """The same bytes on every call (a fixed member time, not the clock's)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("index.html", date_time=(2020, 1, 1, 0, 0, 0)), "<h1>hello</h1>")
    return buffer.getvalue()


@pytest.fixture
def client() -> Iterator[GitHubClient]:
    with GitHubClient(API, TOKEN, "octo/app", sleep=lambda s: None) as github:
        yield github


def test_pick_artifact_prefers_the_newest_unexpired_one() -> None:
    artifacts = [
        {"id": 1, "name": "dist", "expired": False},
        {"id": 3, "name": "dist", "expired": True},
        {"id": 2, "name": "dist", "expired": False},
    ]
    assert pick_artifact(artifacts, "dist")["id"] == 2


def test_a_missing_artifact_names_the_input_and_what_exists() -> None:
    with pytest.raises(NotFoundError) as caught:
        pick_artifact([{"id": 1, "name": "site", "expired": False}, {"id": 2, "name": "logs"}], "dist")
    assert caught.value.input_name == "artifact-name"
    assert "available: logs, site" in str(caught.value)


def test_an_expired_artifact_is_refused_by_name() -> None:
    with pytest.raises(NotFoundError, match="expired"):
        pick_artifact([{"id": 1, "name": "dist", "expired": True}], "dist")


def test_the_redirect_to_blob_storage_is_followed_without_authorization(
    httpx_mock: HTTPXMock, client: GitHubClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{API}/repos/octo/app/actions/runs/77/artifacts?name=dist&per_page=100",
        match_headers={"Authorization": f"Bearer {TOKEN}"},
        json={"total_count": 1, "artifacts": [{"id": 9, "name": "dist", "expired": False}]},
    )
    signed = "https://blob.example.net/results/9.zip?sig=abc"
    httpx_mock.add_response(
        url=f"{API}/repos/octo/app/actions/artifacts/9/zip",
        match_headers={"Authorization": f"Bearer {TOKEN}"},
        status_code=302,
        headers={"Location": signed},
    )
    seen: list[httpx.Request] = []

    def storage(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=a_zip())

    httpx_mock.add_callback(storage, url=signed)
    path = download_run_artifact(client, 77, "dist", tmp_path)
    assert "authorization" not in {name.lower() for name in seen[0].headers}
    assert zipfile.ZipFile(path).read("index.html") == b"<h1>hello</h1>"


def test_a_403_on_listing_names_actions_read(
    httpx_mock: HTTPXMock, client: GitHubClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{API}/repos/octo/app/actions/runs/77/artifacts?name=dist&per_page=100",
        status_code=403,
        json={"message": "Resource not accessible by integration"},
    )
    with pytest.raises(GitHubPermissionError, match="actions: read"):
        download_run_artifact(client, 77, "dist", tmp_path)


def test_a_storage_error_is_retried_then_reported(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    sleeps: list[float] = []
    with GitHubClient(API, TOKEN, "octo/app", sleep=sleeps.append) as github:
        httpx_mock.add_response(
            url=f"{API}/repos/octo/app/actions/runs/1/artifacts?name=dist&per_page=100",
            json={"artifacts": [{"id": 4, "name": "dist", "expired": False}]},
        )
        httpx_mock.add_response(
            url=f"{API}/repos/octo/app/actions/artifacts/4/zip",
            status_code=302,
            headers={"Location": "https://s.example/4"},
        )
        httpx_mock.add_response(url="https://s.example/4", status_code=503)
        httpx_mock.add_response(url="https://s.example/4", content=a_zip())
        path = download_run_artifact(github, 1, "dist", tmp_path)
    assert len(sleeps) == 1
    assert path.read_bytes() == a_zip()
    assert [p.name for p in tmp_path.iterdir()] == ["dist.zip"]  # no temporary file left behind


def test_through_the_sandbox_whose_download_host_refuses_a_token(tmp_path: Path) -> None:
    with Sandbox(apis=[GitHubEmulator]) as sandbox:
        github = sandbox.world.apis["github"]
        assert isinstance(github, GitHubEmulator)
        github.seed_artifact(REPO, 123, "dist", a_zip(), expired=True)
        github.seed_artifact(REPO, 123, "dist", a_zip())
        github.seed_artifact(REPO, 123, "coverage", b"PK")
        with GitHubClient(
            sandbox.github_api_url, identities.GITHUB_TOKEN, REPO, sleep=lambda s: None
        ) as client:
            path = download_run_artifact(client, 123, "dist", tmp_path)
            with pytest.raises(NotFoundError, match="available: coverage, dist"):
                download_run_artifact(client, 123, "site", tmp_path)
        hosts = [entry.host for entry in sandbox.log()]
    assert zipfile.ZipFile(path).namelist() == ["index.html"]
    assert identities.GITHUB_ARTIFACTS_HOST in hosts
