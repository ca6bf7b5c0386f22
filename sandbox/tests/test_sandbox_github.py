"""The emulated GitHub REST API, driven with app.Request objects (no sockets). Through the
running server: test_sandbox_github_server.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from memory_world import MemoryWorld

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.github_common import READ_ONLY_TOKEN

REPO = identities.GITHUB_REPOSITORY
BASE = f"/api/v3/repos/{REPO}"
SHA = "a" * 40


@pytest.fixture
def api() -> GitHubEmulator:
    return GitHubEmulator(MemoryWorld())


def call(
    api: GitHubEmulator,
    method: str,
    target: str,
    payload: Any = None,
    token: str | None = identities.GITHUB_TOKEN,
    host: str = "127.0.0.1:8080",
) -> app.Response:
    headers = {"Host": host, "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload).encode() if payload is not None else b""
    request = app.Request.build(method, target, headers, body, 8080)
    route = api.router.match(request)
    if route is None:
        return api.error(request, 404, "no route")
    return route.handler(request)


def data(response: app.Response) -> Any:
    return json.loads(response.body)


def test_get_user_is_forbidden_for_the_workflow_token_and_allowed_for_a_pat(api: GitHubEmulator) -> None:
    forbidden = call(api, "GET", "/api/v3/user")
    assert forbidden.status == 403 and data(forbidden)["message"] == "Resource not accessible by integration"
    me = call(api, "GET", "/api/v3/user", token=identities.GITHUB_PAT)
    assert data(me)["login"] == identities.GITHUB_USER_LOGIN and data(me)["type"] == "User"


def test_missing_and_unknown_tokens_are_401(api: GitHubEmulator) -> None:
    assert data(call(api, "GET", f"{BASE}/pulls/1", token=None))["message"] == "Requires authentication"
    assert data(call(api, "GET", f"{BASE}/pulls/1", token="ghp_nope"))["message"] == "Bad credentials"


def test_an_unsupported_api_version_is_400(api: GitHubEmulator) -> None:
    request = app.Request.build(
        "GET",
        f"{BASE}/pulls/1",
        {"Authorization": f"Bearer {identities.GITHUB_TOKEN}", "X-GitHub-Api-Version": "1999-01-01"},
    )
    route = api.router.match(request)
    assert route is not None and route.handler(request).status == 400


def test_pull_requests_are_seeded_and_unknown_ones_are_404(api: GitHubEmulator) -> None:
    api.seed_pull_request(REPO, 3, head_sha=SHA, head_ref="feature")
    assert data(call(api, "GET", f"{BASE}/pulls/3"))["head"]["sha"] == SHA
    assert call(api, "GET", f"{BASE}/pulls/4").status == 404


def test_comments_paginate_in_ascending_id_with_link_headers(api: GitHubEmulator) -> None:
    for index in range(5):
        api.seed_comment(REPO, 2, f"c{index}")
    first = call(api, "GET", f"{BASE}/issues/2/comments?per_page=2")
    assert [c["body"] for c in data(first)] == ["c0", "c1"]
    links = {
        rel.split('"')[1]: url.strip(" <>")
        for url, rel in (p.split(";") for p in first.header("Link").split(","))
    }
    assert set(links) == {"next", "last"}
    assert parse_qs(urlsplit(links["last"]).query) == {"per_page": ["2"], "page": ["3"]}
    assert links["next"].startswith("http://127.0.0.1:8080/api/v3/repos/")
    last = call(api, "GET", f"{BASE}/issues/2/comments?per_page=2&page=3")
    assert [c["body"] for c in data(last)] == ["c4"]
    assert 'rel="next"' not in last.header("Link") and 'rel="prev"' in last.header("Link")


def test_per_page_is_capped_at_100(api: GitHubEmulator) -> None:
    for index in range(105):
        api.seed_comment(REPO, 2, f"c{index}")
    assert len(data(call(api, "GET", f"{BASE}/issues/2/comments?per_page=500"))) == 100
    assert len(data(call(api, "GET", f"{BASE}/issues/2/comments"))) == 30


def test_comments_carry_their_author_and_only_the_author_may_edit_or_delete(api: GitHubEmulator) -> None:
    created = call(api, "POST", f"{BASE}/issues/2/comments", {"body": "hello"})
    assert created.status == 201
    comment = data(created)
    assert comment["user"] == {**comment["user"], "login": "github-actions[bot]", "type": "Bot"}
    human = api.seed_comment(REPO, 2, "mine")
    assert call(api, "PATCH", f"{BASE}/issues/comments/{human}", {"body": "hijack"}).status == 403
    assert call(api, "DELETE", f"{BASE}/issues/comments/{human}").status == 403
    edited = call(api, "PATCH", f"{BASE}/issues/comments/{comment['id']}", {"body": "edited"})
    assert data(edited)["body"] == "edited"
    assert data(call(api, "GET", f"{BASE}/issues/comments/{comment['id']}"))["body"] == "edited"
    assert call(api, "DELETE", f"{BASE}/issues/comments/{comment['id']}").status == 204
    assert call(api, "GET", f"{BASE}/issues/comments/{comment['id']}").status == 404


def test_an_empty_comment_body_is_a_422_naming_the_field(api: GitHubEmulator) -> None:
    refused = call(api, "POST", f"{BASE}/issues/2/comments", {"body": ""})
    assert refused.status == 422 and data(refused)["errors"][0]["field"] == "body"


def test_a_read_only_token_reads_but_cannot_write(api: GitHubEmulator) -> None:
    assert call(api, "GET", f"{BASE}/issues/2/comments", token=READ_ONLY_TOKEN).status == 200
    refused = call(api, "POST", f"{BASE}/issues/2/comments", {"body": "x"}, token=READ_ONLY_TOKEN)
    assert refused.status == 403 and data(refused)["message"] == "Resource not accessible by integration"
    assert call(api, "POST", f"{BASE}/deployments", {"ref": SHA}, token=READ_ONLY_TOKEN).status == 403


def test_a_seeded_token_without_deployments_is_refused_only_there(api: GitHubEmulator) -> None:
    api.seed_token("ghp_limited0123", login="limited", permissions={"pull_requests": "write"})
    assert (
        call(api, "POST", f"{BASE}/issues/2/comments", {"body": "x"}, token="ghp_limited0123").status == 201
    )
    refused = call(api, "POST", f"{BASE}/deployments", {"ref": SHA}, token="ghp_limited0123")
    assert data(refused)["message"] == "Resource not accessible by personal access token"


def deploy(api: GitHubEmulator, **fields: Any) -> dict[str, Any]:
    body = {"ref": SHA, "auto_merge": False, "required_contexts": [], **fields}
    response = call(api, "POST", f"{BASE}/deployments", body)
    assert response.status == 201, response.body
    return dict(data(response))


def status(api: GitHubEmulator, deployment_id: int, state: str, **fields: Any) -> app.Response:
    return call(api, "POST", f"{BASE}/deployments/{deployment_id}/statuses", {"state": state, **fields})


def test_deployments_list_newest_first_with_filters(api: GitHubEmulator) -> None:
    one = deploy(api, environment="Preview", task="deploy:pr-1", payload={"pr": 1})
    two = deploy(api, environment="Preview", task="deploy:pr-2", payload={"pr": 2})
    three = deploy(api, environment="Production", production_environment=True)
    listed = data(call(api, "GET", f"{BASE}/deployments"))
    assert [d["id"] for d in listed] == [three["id"], two["id"], one["id"]]
    assert [d["id"] for d in data(call(api, "GET", f"{BASE}/deployments?task=deploy:pr-1"))] == [one["id"]]
    assert [d["id"] for d in data(call(api, "GET", f"{BASE}/deployments?environment=Preview"))] == [
        two["id"],
        one["id"],
    ]
    assert data(call(api, "GET", f"{BASE}/deployments/{two['id']}"))["payload"] == {"pr": 2}
    assert data(call(api, "GET", f"{BASE}/deployments?sha={'b' * 40}")) == []


def test_a_branch_ref_without_auto_merge_false_is_202_and_not_created(api: GitHubEmulator) -> None:
    response = call(api, "POST", f"{BASE}/deployments", {"ref": "feature"})
    assert response.status == 202
    assert data(call(api, "GET", f"{BASE}/deployments")) == []
    assert call(api, "POST", f"{BASE}/deployments", {"task": "deploy"}).status == 422


def test_auto_inactive_touches_only_non_transient_non_production_of_the_same_environment(
    api: GitHubEmulator,
) -> None:
    staging_old = deploy(api, environment="staging")
    preview_old = deploy(api, environment="staging", transient_environment=True)
    other_env = deploy(api, environment="qa")
    for deployment in (staging_old, preview_old, other_env):
        status(api, deployment["id"], "success")
    status(api, deploy(api, environment="staging")["id"], "success")
    states = {d["id"]: d["state"] for d in api.deployments(REPO)}
    assert states[staging_old["id"]] == "inactive"
    assert states[preview_old["id"]] == "success"
    assert states[other_env["id"]] == "success"


def test_auto_inactive_false_leaves_earlier_ones_alone(api: GitHubEmulator) -> None:
    old = deploy(api, environment="staging")
    status(api, old["id"], "success")
    status(api, deploy(api, environment="staging")["id"], "success", auto_inactive=False)
    assert {d["id"]: d["state"] for d in api.deployments(REPO)}[old["id"]] == "success"


def test_statuses_validate_state_and_description_and_list_newest_first(api: GitHubEmulator) -> None:
    deployment = deploy(api, environment="Preview")
    assert data(status(api, deployment["id"], "done"))["errors"][0]["field"] == "state"
    assert (
        data(status(api, deployment["id"], "success", description="x" * 141))["errors"][0]["field"]
        == "description"
    )
    status(api, deployment["id"], "in_progress")
    status(api, deployment["id"], "success", environment_url="http://x.localhost:8080/", log_url="http://run")
    listed = data(call(api, "GET", f"{BASE}/deployments/{deployment['id']}/statuses?per_page=1"))
    assert [(s["state"], s["environment_url"], s["log_url"]) for s in listed] == [
        ("success", "http://x.localhost:8080/", "http://run")
    ]


def test_an_active_deployment_cannot_be_deleted_unless_it_is_the_only_one(api: GitHubEmulator) -> None:
    first = deploy(api, environment="Preview")
    status(api, first["id"], "success")
    second = deploy(api, environment="Preview")
    assert call(api, "DELETE", f"{BASE}/deployments/{first['id']}").status == 422
    status(api, first["id"], "inactive")
    assert call(api, "DELETE", f"{BASE}/deployments/{first['id']}").status == 204
    status(api, second["id"], "success")
    assert call(api, "DELETE", f"{BASE}/deployments/{second['id']}").status == 204


def test_artifacts_list_by_name_and_zip_redirects_to_the_signed_host(api: GitHubEmulator) -> None:
    artifact_id = api.seed_artifact(REPO, 55, "dist", b"PK-zip")
    api.seed_artifact(REPO, 55, "logs", b"PK-logs")
    listed = data(call(api, "GET", f"{BASE}/actions/runs/55/artifacts?name=dist"))
    assert listed["total_count"] == 1 and listed["artifacts"][0]["id"] == artifact_id
    assert listed["artifacts"][0]["archive_download_url"].endswith(f"/actions/artifacts/{artifact_id}/zip")
    redirect = call(api, "GET", f"{BASE}/actions/artifacts/{artifact_id}/zip")
    assert redirect.status == 302
    location = urlsplit(redirect.header("Location") or "")
    assert location.hostname == identities.GITHUB_ARTIFACTS_HOST and location.port == 8080
    target = f"{location.path}?{location.query}"
    host = f"{identities.GITHUB_ARTIFACTS_HOST}:8080"
    assert call(api, "GET", target, token=identities.GITHUB_TOKEN, host=host).status == 400
    served = call(api, "GET", target, token=None, host=host)
    assert served.status == 200 and served.body == b"PK-zip"
    tampered = call(api, "GET", target.replace("sig=", "sig=0"), token=None, host=host)
    assert tampered.status == 403


def test_an_expired_artifact_zip_is_410(api: GitHubEmulator) -> None:
    artifact_id = api.seed_artifact(REPO, 55, "dist", b"PK", expired=True)
    assert call(api, "GET", f"{BASE}/actions/artifacts/{artifact_id}/zip").status == 410


def test_api_routes_are_not_served_on_the_download_host(api: GitHubEmulator) -> None:
    response = call(api, "GET", f"{BASE}/pulls/1", host=f"{identities.GITHUB_ARTIFACTS_HOST}:8080")
    assert response.status == 404


def test_state_survives_snapshot_and_restore(api: GitHubEmulator) -> None:
    api.seed_pull_request(REPO, 3, head_sha=SHA)
    comment = data(call(api, "POST", f"{BASE}/issues/3/comments", {"body": "kept"}))
    deployment = deploy(api, environment="Preview")
    api.seed_token("ghp_seeded0123", login="seeded")
    saved = json.loads(json.dumps(api.snapshot()))
    restored = GitHubEmulator(MemoryWorld())
    restored.restore(saved)
    assert data(call(restored, "GET", f"{BASE}/issues/comments/{comment['id']}"))["body"] == "kept"
    assert data(call(restored, "GET", f"{BASE}/deployments/{deployment['id']}"))["id"] == deployment["id"]
    assert call(restored, "GET", f"{BASE}/pulls/3", token="ghp_seeded0123").status == 200
    assert deploy(restored)["id"] > deployment["id"]


def test_writes_ask_the_world_to_save(api: GitHubEmulator) -> None:
    world = api.world
    assert isinstance(world, MemoryWorld)
    call(api, "POST", f"{BASE}/issues/2/comments", {"body": "x"})
    assert world.saves == 1
