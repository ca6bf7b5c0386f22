"""Connecting: team scope vs personal account, 403 explained, project found or created, listing."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import AuthError, InputError, NotFoundError, PlatformError
from ci_deploy.platforms.vercel.api import VercelApi
from ci_deploy.platforms.vercel.project import (
    auto_promotion_paused,
    find_project,
    list_deployments,
    production_id,
    resolve_scope,
)

API = "https://api.vercel.com"


@pytest.fixture
def api() -> VercelApi:
    return VercelApi("tok_1", sleep=lambda _s: None)


def test_a_team_id_scopes_by_team_id_without_a_call(api: VercelApi) -> None:
    assert resolve_scope(api, "team_abc") == {"teamId": "team_abc"}


def test_no_account_means_a_personal_scope(api: VercelApi) -> None:
    assert resolve_scope(api, None) == {}


def test_a_slug_scopes_by_slug(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="GET", url=f"{API}/v2/user", json={"user": {"id": "u_1", "username": "ann"}}
    )
    assert resolve_scope(api, "acme") == {"slug": "acme"}


def test_the_tokens_own_user_id_means_a_personal_scope(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="GET", url=f"{API}/v2/user", json={"user": {"id": "u_1", "username": "ann"}}
    )
    assert resolve_scope(api, "u_1") == {}


def test_an_invalid_token_is_named_as_such(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    api.scope = {"teamId": "team_abc"}
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/web?teamId=team_abc",
        status_code=403,
        json={"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": True}},
    )
    with pytest.raises(AuthError, match="invalid or expired") as caught:
        find_project(api, "web", "team_abc", create=True, read_only=False)
    assert caught.value.input_name == "token" and caught.value.exit_code == 2


def test_a_token_without_access_to_the_team_names_the_team(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    api.scope = {"teamId": "team_abc"}
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/web?teamId=team_abc",
        status_code=403,
        json={"error": {"code": "forbidden", "message": "You don't have access"}},
    )
    with pytest.raises(AuthError, match="no access to the Vercel team 'team_abc'") as caught:
        find_project(api, "web", "team_abc", create=True, read_only=False)
    assert caught.value.input_name == "account"


def test_a_missing_project_is_created_by_name(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    api.scope = {"teamId": "team_abc"}
    httpx_mock.add_response(
        method="GET", url=f"{API}/v9/projects/web?teamId=team_abc", status_code=404, json={}
    )
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/v11/projects?teamId=team_abc",
        match_json={"name": "web"},
        json={"id": "prj_1", "name": "web"},
    )
    assert find_project(api, "web", "team_abc", create=True, read_only=False) == {
        "id": "prj_1",
        "name": "web",
    }


def test_a_missing_project_is_not_created_on_a_read_only_look(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/web", status_code=404, json={})
    assert find_project(api, "web", None, create=True, read_only=True) is None


def test_a_missing_project_id_or_create_off_is_not_found(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/prj_x", status_code=404, json={})
    with pytest.raises(NotFoundError, match="project id cannot be created") as caught:
        find_project(api, "prj_x", None, create=True, read_only=False)
    assert caught.value.input_name == "project"
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/web", status_code=404, json={})
    with pytest.raises(NotFoundError, match="create-project is off"):
        find_project(api, "web", None, create=False, read_only=False)


def test_an_invalid_project_name_is_refused_before_creating(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v9/projects/My%20Site", status_code=404, json={})
    with pytest.raises(InputError, match="not a valid Vercel project name"):
        find_project(api, "My Site", None, create=True, read_only=False)


def test_listing_follows_pagination_next_as_until(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    base = f"{API}/v6/deployments?projectId=prj_1&limit=100"
    httpx_mock.add_response(
        method="GET", url=base, json={"deployments": [{"uid": "a"}], "pagination": {"next": 5}}
    )
    httpx_mock.add_response(
        method="GET",
        url=f"{base}&until=5",
        json={"deployments": [{"uid": "b"}], "pagination": {"next": None}},
    )
    assert [d["uid"] for d in list_deployments(api, "prj_1")] == ["a", "b"]


def test_project_facts_production_target_and_paused_promotion() -> None:
    project = {"targets": {"production": {"id": "dpl_1"}}, "lastAliasRequest": {"type": "rollback"}}
    assert production_id(project) == "dpl_1" and auto_promotion_paused(project)
    assert production_id({}) is None and not auto_promotion_paused({"lastAliasRequest": {"type": "promote"}})


def test_a_refused_listing_says_what_it_was_listing(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    refusal = {"error": {"code": "forbidden", "message": "Not authorized"}}
    listing = f"{API}/v6/deployments?projectId=prj_1&limit=100"
    httpx_mock.add_response(method="GET", url=listing, status_code=400, json=refusal)
    with pytest.raises(PlatformError, match=r"^could not list the project's deployments: Not authorized"):
        list(list_deployments(api, "prj_1"))
