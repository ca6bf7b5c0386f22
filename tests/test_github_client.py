"""The GitHub client: pure response interpretation, and the request shapes over pytest-httpx."""

from __future__ import annotations

import json

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import AuthError, CiDeployError, InputError
from ci_deploy.foreign_text import FOREIGN_LIMIT
from ci_deploy.github.client import GitHubClient, link_targets, next_page, split_repository
from ci_deploy.github.errors import (
    DEPLOYMENTS_WRITE,
    PULL_REQUESTS_WRITE,
    GitHubAuthError,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
    GitHubValidationError,
    interpret,
    is_rate_limited,
    validation_fields,
)

API = "https://ghe.example.com/api/v3"
TOKEN = "ghs_unitTestToken0123456789"
REPO_URL = f"{API}/repos/octo/app"


def body(payload: object) -> bytes:
    return json.dumps(payload).encode()


@pytest.fixture
def client() -> GitHubClient:
    sleeps: list[float] = []
    github = GitHubClient(API, TOKEN, "octo/app", sleep=sleeps.append)
    github.sleeps = sleeps  # type: ignore[attr-defined]
    return github


# --- pure interpretation -------------------------------------------------------------------------


def test_interpret_returns_the_json_of_a_success_and_none_for_an_empty_204() -> None:
    assert interpret(200, {}, body({"id": 7}), what="x", permission="p") == {"id": 7}
    assert interpret(204, {}, b"", what="x", permission="p") is None


def test_403_not_accessible_by_integration_names_the_missing_permission() -> None:
    with pytest.raises(GitHubPermissionError) as caught:
        interpret(
            403,
            {},
            body({"message": "Resource not accessible by integration"}),
            what="comment on PR #3",
            permission=PULL_REQUESTS_WRITE,
        )
    message = str(caught.value)
    assert "comment on PR #3" in message
    assert "`pull-requests: write`" in message
    assert "Resource not accessible by integration" in message
    assert caught.value.permission == PULL_REQUESTS_WRITE
    assert isinstance(caught.value, AuthError) and caught.value.exit_code == 2


def test_404_is_a_not_found_that_also_names_the_permission() -> None:
    with pytest.raises(GitHubNotFoundError) as caught:
        interpret(
            404, {}, body({"message": "Not Found"}), what="list deployments", permission=DEPLOYMENTS_WRITE
        )
    assert "`deployments: write`" in str(caught.value)
    assert isinstance(caught.value, GitHubPermissionError)


def test_401_blames_the_github_token_input() -> None:
    with pytest.raises(GitHubAuthError) as caught:
        interpret(401, {}, body({"message": "Bad credentials"}), what="x", permission="p")
    assert caught.value.input_name == "github-token"
    assert "Bad credentials" in str(caught.value)


def test_422_message_lists_the_fields_of_errors() -> None:
    payload = {
        "message": "Validation Failed",
        "errors": [
            {"resource": "DeploymentStatus", "field": "description", "code": "custom", "message": "too long"},
            {"resource": "Deployment", "field": "ref", "code": "missing_field"},
        ],
    }
    with pytest.raises(GitHubValidationError) as caught:
        interpret(422, {}, body(payload), what="create a deployment", permission=DEPLOYMENTS_WRITE)
    assert caught.value.fields == ("description", "ref")
    assert "description: too long" in str(caught.value)
    assert "ref: missing_field" in str(caught.value)
    assert validation_fields(b"not json") == ()


def test_rate_limit_is_told_by_429_by_an_exhausted_403_and_by_a_secondary_limit_message() -> None:
    assert is_rate_limited(429, {}, b"")
    assert is_rate_limited(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}, b"")
    assert is_rate_limited(403, {}, body({"message": "You have exceeded a secondary rate limit."}))
    assert not is_rate_limited(403, {"x-ratelimit-remaining": "4999"}, body({"message": "Forbidden"}))
    with pytest.raises(GitHubRateLimitError):
        interpret(403, {"retry-after": "60"}, b"{}", what="x", permission="p")


def test_other_errors_keep_the_status_and_a_non_json_body_start() -> None:
    with pytest.raises(GitHubError) as caught:
        interpret(502, {}, b"<html>Bad gateway</html>", what="list comments", permission="p")
    assert caught.value.status == 502
    assert "Bad gateway" in str(caught.value)
    assert isinstance(caught.value, CiDeployError)


def test_a_megabyte_message_is_one_bounded_line_naming_what_failed() -> None:
    message = "\x1b[31mboom\x1b[0m\n::set-output name=url::x\n" + "C" * 1024 * 1024
    with pytest.raises(GitHubError) as caught:
        interpret(400, {}, body({"message": message}), what="list comments", permission="p")
    shown = str(caught.value)
    assert shown.startswith("list comments: GitHub answered 400 (boom ::set-output name=url::x CCCC")
    assert len(shown) < FOREIGN_LIMIT + 100 and "\x1b" not in shown


def test_a_422_listing_thousands_of_errors_is_one_bounded_line() -> None:
    errors = [{"field": f"f{n}", "message": "bad\nvalue"} for n in range(10_000)]
    with pytest.raises(GitHubValidationError) as caught:
        interpret(422, {}, body({"message": "Validation Failed", "errors": errors}), what="x", permission="p")
    assert "\n" not in caught.value.message and len(caught.value.message) < 2 * FOREIGN_LIMIT
    assert caught.value.message.startswith("x: GitHub refused it (422 Validation Failed): f0: bad value; f1")


def test_a_body_nested_deeper_than_the_decoder_goes_is_told_by_its_start() -> None:
    with pytest.raises(GitHubError) as caught:
        interpret(500, {}, b"[" * 100_000 + b"]" * 100_000, what="x", permission="p")
    assert caught.value.status == 500 and len(caught.value.message) < 300


def test_link_header_parsing_finds_next_and_last() -> None:
    header = (
        '<https://api.github.com/repositories/1/issues/2/comments?page=2>; rel="next", '
        '<https://api.github.com/repositories/1/issues/2/comments?page=5>; rel="last"'
    )
    assert link_targets(header) == {
        "next": "https://api.github.com/repositories/1/issues/2/comments?page=2",
        "last": "https://api.github.com/repositories/1/issues/2/comments?page=5",
    }
    assert next_page('<https://x/a?page=1>; rel="prev", <https://x/a?page=1>; rel="first"') is None
    assert next_page(None) is None


def test_repository_must_be_owner_slash_name() -> None:
    assert split_repository("octo/app") == ("octo", "app")
    for bad in ("octo", "/app", "octo/app/extra", ""):
        with pytest.raises(InputError):
            split_repository(bad)


# --- over the wire -----------------------------------------------------------------------------


def test_requests_carry_bearer_token_accept_and_pinned_api_version(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    httpx_mock.add_response(
        url=f"{REPO_URL}/pulls/3",
        match_headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        json={"head": {"sha": "abc"}},
    )
    assert client.call("GET", f"{client.repo_path}/pulls/3", what="x", permission="p") == {
        "head": {"sha": "abc"}
    }


def test_paginate_follows_link_next_to_the_last_page(httpx_mock: HTTPXMock, client: GitHubClient) -> None:
    first = f"{REPO_URL}/issues/1/comments?per_page=100"
    second = f"{REPO_URL}/issues/1/comments?per_page=100&page=2"
    httpx_mock.add_response(
        url=first,
        json=[{"id": 1}, {"id": 2}],
        headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'},
    )
    httpx_mock.add_response(url=second, json=[{"id": 3}], headers={"Link": f'<{first}>; rel="prev"'})
    items = list(client.paginate(f"{client.repo_path}/issues/1/comments", what="x", permission="p"))
    assert [item["id"] for item in items] == [1, 2, 3]


def test_paginate_reads_lists_nested_under_a_key(httpx_mock: HTTPXMock, client: GitHubClient) -> None:
    httpx_mock.add_response(
        url=f"{REPO_URL}/actions/runs/9/artifacts?name=dist&per_page=100",
        json={"total_count": 1, "artifacts": [{"id": 5, "name": "dist"}]},
    )
    found = client.paginate(
        f"{client.repo_path}/actions/runs/9/artifacts",
        params={"name": "dist"},
        key="artifacts",
        what="x",
        permission="p",
    )
    assert list(found) == [{"id": 5, "name": "dist"}]


def test_a_next_link_to_another_host_is_not_followed_with_the_token(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    httpx_mock.add_response(
        url=f"{REPO_URL}/issues/1/comments?per_page=100",
        json=[{"id": 1}],
        headers={"Link": '<https://evil.example.com/steal?page=2>; rel="next"'},
    )
    with pytest.raises(GitHubError, match="another host"):
        list(client.paginate(f"{client.repo_path}/issues/1/comments", what="x", permission="p"))


def test_rate_limited_403_is_retried_after_the_reset_hint_with_the_injected_sleep(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    url = f"{REPO_URL}/pulls/3"
    httpx_mock.add_response(
        url=url, status_code=403, headers={"Retry-After": "7"}, json={"message": "rate limit"}
    )
    httpx_mock.add_response(
        url=url, status_code=429, headers={"Retry-After": "2"}, json={"message": "slow down"}
    )
    httpx_mock.add_response(url=url, json={"number": 3})
    assert client.call("GET", f"{client.repo_path}/pulls/3", what="x", permission="p") == {"number": 3}
    assert client.sleeps == [7.0, 2.0]  # type: ignore[attr-defined]


def test_a_plain_403_is_not_retried_and_names_the_permission(
    httpx_mock: HTTPXMock, client: GitHubClient
) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{REPO_URL}/deployments",
        status_code=403,
        json={"message": "Resource not accessible by integration"},
    )
    with pytest.raises(GitHubPermissionError, match="deployments: write"):
        client.call(
            "POST", f"{client.repo_path}/deployments", json={}, what="create", permission=DEPLOYMENTS_WRITE
        )
    assert client.sleeps == []  # type: ignore[attr-defined]


def test_enterprise_base_path_is_kept_when_joining(httpx_mock: HTTPXMock, client: GitHubClient) -> None:
    httpx_mock.add_response(url=f"{API}/user", json={"login": "me"})
    response = client.response("GET", "/user")
    assert response.json() == {"login": "me"}
    assert httpx_mock.get_requests()[0].url == httpx.URL(f"{API}/user")


def test_an_empty_token_is_an_input_error() -> None:
    with pytest.raises(InputError, match="github-token"):
        GitHubClient(API, "", "octo/app")
