"""Finding the account, getting or creating the project, and setting env vars."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import AuthError, InputError
from ci_deploy.platforms.base import EnvVar
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi
from ci_deploy.platforms.cloudflare_pages.project import (
    ProjectsApi,
    discover_account,
    env_names,
    missing_project,
)

BASE = "https://api.test/client/v4"
PROJECTS = f"{BASE}/accounts/acc/pages/projects"
AUTH = {"Authorization": "Bearer tok_123"}


def ok(result: object) -> dict[str, object]:
    return {"success": True, "errors": [], "result": result, "result_info": {"total_count": 0}}


def fail(code: int, message: str = "error") -> dict[str, object]:
    return {"success": False, "errors": [{"code": code, "message": message}], "result": None}


def api() -> CloudflareApi:
    return CloudflareApi("tok_123", BASE, sleep=lambda _: None)


def membership(account_id: str, name: str, status: str = "accepted") -> dict[str, object]:
    return {"id": "m-" + account_id, "status": status, "account": {"id": account_id, "name": name}}


def test_the_only_account_the_token_sees_is_used(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/memberships?page=1&per_page=50",
        match_headers=AUTH,
        json=ok([membership("a1", "Mine"), membership("a2", "Invited", status="pending")]),
    )
    assert discover_account(api()) == "a1"


def test_several_accounts_are_listed_in_the_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/memberships?page=1&per_page=50",
        json=ok([membership("a1", "One"), membership("a2", "Two")]),
    )
    with pytest.raises(InputError, match=r"2 accounts.*a1 \(One\), a2 \(Two\)") as caught:
        discover_account(api())
    assert caught.value.input_name == "account"


@pytest.mark.parametrize("code", [9106, 9109, 10000])
def test_account_scoped_tokens_fall_back_to_the_accounts_list(httpx_mock: HTTPXMock, code: int) -> None:
    httpx_mock.add_response(url=f"{BASE}/memberships?page=1&per_page=50", status_code=403, json=fail(code))
    httpx_mock.add_response(
        url=f"{BASE}/accounts?page=1&per_page=50", json=ok([{"id": "a9", "name": "Scoped"}])
    )
    assert discover_account(api()) == "a9"


def test_no_account_at_all_asks_for_the_account_input(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/memberships?page=1&per_page=50", json=ok([]))
    with pytest.raises(InputError, match="sees no account"):
        discover_account(api())


def test_a_refused_token_names_the_pages_permission(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{PROJECTS}/site", status_code=403, json=fail(10000, "Authentication error"))
    httpx_mock.add_response(url=f"{BASE}/user/tokens/verify", json=ok({"id": "t", "status": "active"}))
    with pytest.raises(AuthError, match="'Cloudflare Pages: Edit'") as caught:
        ProjectsApi(api(), "acc").get("site")
    assert caught.value.input_name == "token" and caught.value.exit_code == 2


def test_a_token_cloudflare_does_not_know_is_called_invalid_not_short_of_a_permission(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(url=f"{PROJECTS}/site", status_code=403, json=fail(10000, "Authentication error"))
    httpx_mock.add_response(
        url=f"{BASE}/user/tokens/verify", status_code=401, json=fail(1000, "Invalid API Token")
    )
    with pytest.raises(AuthError, match="token is not valid") as caught:
        ProjectsApi(api(), "acc").get("site")
    assert "Pages: Edit" not in str(caught.value) and caught.value.exit_code == 2


def test_a_missing_project_is_none(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{PROJECTS}/site", status_code=404, json=fail(8000007, "Project not found"))
    assert ProjectsApi(api(), "acc").get("site") is None


def test_missing_project_error_suggests_create_project() -> None:
    error = missing_project("site", "acc")
    assert error.input_name == "project" and "create-project: true" in error.message


def test_create_sends_name_and_production_branch(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=PROJECTS,
        match_headers=AUTH,
        match_json={
            "name": "site",
            "production_branch": "trunk",
            "deployment_configs": {"production": {}, "preview": {}},
        },
        json=ok({"name": "site", "subdomain": "site-x.pages.dev"}),
    )
    assert ProjectsApi(api(), "acc").create("site", "trunk")["subdomain"] == "site-x.pages.dev"


def test_create_that_already_happened_uses_the_existing_project(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=PROJECTS, status_code=409, json=fail(8000002, "already exists")
    )
    httpx_mock.add_response(method="GET", url=f"{PROJECTS}/site", json=ok({"name": "site"}))
    assert ProjectsApi(api(), "acc").create("site", "main") == {"name": "site"}


def test_an_invalid_project_name_is_refused_before_any_call() -> None:
    with pytest.raises(InputError, match="not a valid Pages project name") as caught:
        ProjectsApi(api(), "acc").create("My_Site", "main")
    assert caught.value.input_name == "project"


def test_env_vars_are_patched_as_plain_and_secret_text(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="PATCH",
        url=f"{PROJECTS}/site",
        match_headers=AUTH,
        match_json={
            "deployment_configs": {
                "preview": {
                    "env_vars": {
                        "API_URL": {"type": "plain_text", "value": "https://api"},
                        "API_KEY": {"type": "secret_text", "value": "s3cret"},
                    }
                }
            }
        },
        json=ok({"deployment_configs": {"preview": {"env_vars": {"API_URL": {}, "API_KEY": {}}}}}),
    )
    variables = [EnvVar("API_URL", "https://api", False), EnvVar("API_KEY", "s3cret", True)]
    project = ProjectsApi(api(), "acc").set_env_vars("site", variables, "preview")
    assert env_names(project, "preview") == {"API_URL", "API_KEY"}


def test_env_names_read_names_only_and_skip_deleted_ones() -> None:
    project = {"deployment_configs": {"production": {"env_vars": {"A": {"type": "secret_text"}, "B": None}}}}
    assert env_names(project, "production") == {"A"}
    assert env_names(project, "preview") == set()
    assert env_names(None, "preview") == set()
