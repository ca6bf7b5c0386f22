"""The emulated GitHub REST API through the running sandbox: the signed artifact download on its
own host, and state that survives a restart of the server."""

from __future__ import annotations

from pathlib import Path

from loopback import loopback_client

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.runtime import Sandbox

REPO = identities.GITHUB_REPOSITORY


def test_through_the_real_server_the_download_host_is_routed_to_this_api() -> None:
    with Sandbox(apis=[GitHubEmulator]) as sandbox:
        github = sandbox.world.apis["github"]
        assert isinstance(github, GitHubEmulator)
        artifact_id = github.seed_artifact(REPO, 9, "dist", b"PK-real")
        headers = {"Authorization": f"Bearer {identities.GITHUB_TOKEN}"}
        with loopback_client() as client:
            redirect = client.get(
                f"{sandbox.github_api_url}/repos/{REPO}/actions/artifacts/{artifact_id}/zip", headers=headers
            )
            location = redirect.headers["location"]
            assert client.get(location, headers=headers).status_code == 400
            assert client.get(location).content == b"PK-real"
            assert client.get(f"{sandbox.github_api_url}/user", headers=headers).status_code == 403


def test_comments_deployments_and_artifacts_survive_a_restart_of_the_server(tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {identities.GITHUB_TOKEN}"}
    with Sandbox(tmp_path / "state", apis=[GitHubEmulator]) as first:
        github = first.world.apis["github"]
        assert isinstance(github, GitHubEmulator)
        artifact_id = github.seed_artifact(REPO, 9, "dist", b"PK-kept")
        with loopback_client() as client:
            client.post(
                f"{first.github_api_url}/repos/{REPO}/issues/4/comments",
                headers=headers,
                json={"body": "kept"},
            )
    with Sandbox(tmp_path / "state", apis=[GitHubEmulator]) as second, loopback_client() as client:
        listed = client.get(f"{second.github_api_url}/repos/{REPO}/issues/4/comments", headers=headers).json()
        redirect = client.get(
            f"{second.github_api_url}/repos/{REPO}/actions/artifacts/{artifact_id}/zip", headers=headers
        )
        assert [c["body"] for c in listed] == ["kept"]
        assert client.get(redirect.headers["location"]).content == b"PK-kept"
