"""The emulated Vercel API: tokens and team scope, projects and their environment variables,
driven through its router with an in-memory world and a fake clock."""

from __future__ import annotations

from memory_world import MemoryWorld
from vercel_calls import SCOPE, TEAM, Call, deploy, js, ready

from ci_deploy_sandbox import identities

# --- auth and scope -------------------------------------------------------------------------------


def test_a_request_without_a_token_is_forbidden_with_missing_token(call: Call) -> None:
    response = call("GET", "/v2/user", token=None)
    assert response.status == 403
    assert js(response)["error"]["code"] == "forbidden"
    assert js(response)["error"]["missingToken"] is True


def test_an_unknown_token_is_forbidden_with_invalid_token(call: Call) -> None:
    response = call("GET", "/v2/user", token="nope_0123")
    assert (response.status, js(response)["error"]["invalidToken"]) == (403, True)


def test_a_team_the_token_is_not_a_member_of_is_forbidden_and_named(call: Call) -> None:
    response = call("GET", "/v9/projects/x", team="team_someoneelse")
    assert response.status == 403
    assert "team_someoneelse" in js(response)["error"]["message"]


def test_user_and_team_are_what_the_cli_reads_at_startup(call: Call) -> None:
    user = js(call("GET", "/v2/user", team=None))["user"]
    assert (user["id"], user["username"]) == (identities.VERCEL_USER_ID, identities.VERCEL_USERNAME)
    team = js(call("GET", f"/teams/{TEAM}", team=None))
    assert (team["id"], team["slug"]) == (TEAM, SCOPE)
    assert [t["id"] for t in js(call("GET", "/v1/teams", team=None))["teams"]] == [TEAM]


def test_the_slug_query_selects_the_team_like_team_id(call: Call) -> None:
    deploy(call, {"index.html": b"hi"})
    by_slug = call("GET", f"/v9/projects/site?slug={SCOPE}", team=None)
    assert js(by_slug)["accountId"] == TEAM


def test_unknown_routes_answer_in_vercels_error_envelope(call: Call) -> None:
    response = call("GET", "/v99/nothing")
    assert (response.status, js(response)["error"]["code"]) == (404, "not_found")


# --- projects ----------------------------------------------------------------------------------------


def test_project_names_follow_vercels_rules(call: Call) -> None:
    for bad in ("Upper", "a---b", "x" * 101, "sp ace"):
        assert call("POST", "/v11/projects", {"name": bad}).status == 400, bad
    assert call("POST", "/v11/projects", {"name": "ok.name_1-2"}).status == 200
    assert call("POST", "/v11/projects", {"name": "ok.name_1-2"}).status == 409


def test_a_project_shows_its_production_target_and_latest_deployments(call: Call) -> None:
    one = ready(call, deploy(call, {"index.html": b"1"}))
    project = js(call("GET", "/v9/projects/site"))
    assert (project["accountId"], project["framework"], project["rootDirectory"]) == (TEAM, None, None)
    assert project["targets"]["production"]["id"] == one["id"]
    assert [d["id"] for d in project["latestDeployments"]] == [one["id"]]
    assert "lastAliasRequest" not in project
    assert [p["name"] for p in js(call("GET", "/v10/projects"))["projects"]] == ["site"]


def test_custom_environments_are_not_found_as_the_cli_expects(call: Call) -> None:
    call("POST", "/v11/projects", {"name": "site"})
    assert call("GET", "/projects/site/custom-environments").status == 404


def test_deleting_a_project_unpublishes_its_sites(call: Call, world: MemoryWorld) -> None:
    ready(call, deploy(call, {"index.html": b"1"}))
    assert call("DELETE", "/v9/projects/site").status == 204
    assert world.sites.hosts == {}


# --- env vars ---------------------------------------------------------------------------------------


def test_env_vars_are_created_refused_as_duplicates_and_upserted(call: Call) -> None:
    call("POST", "/v11/projects", {"name": "site"})
    var = {"key": "API", "value": "one", "type": "plain", "target": ["production", "preview"]}
    created = call("POST", "/v10/projects/site/env", var)
    assert created.status == 201 and js(created)["created"]["key"] == "API"
    duplicate = call("POST", "/v10/projects/site/env", {**var, "target": ["production"]})
    assert js(duplicate)["error"]["code"] == "ENV_ALREADY_EXISTS"
    assert call("POST", "/v10/projects/site/env?upsert=true", {**var, "value": "two"}).status == 201
    (listed,) = js(call("GET", "/v10/projects/site/env"))["envs"]
    assert listed["value"] == "two"


def test_sensitive_and_encrypted_values_are_hidden_and_only_encrypted_ones_decrypt(call: Call) -> None:
    call("POST", "/v11/projects", {"name": "site"})
    many = [
        {"key": "S", "value": "s3nsval", "type": "sensitive", "target": ["production"]},
        {"key": "E", "value": "enc", "type": "encrypted", "target": ["preview"]},
    ]
    created = js(call("POST", "/v10/projects/site/env", many))["created"]
    listing = call("GET", "/v10/projects/site/env").body
    assert b"s3nsval" not in listing and b'"enc"' not in listing
    by_key = {e["key"]: e["id"] for e in created}
    assert js(call("GET", f"/v1/projects/site/env/{by_key['E']}"))["value"] == "enc"
    assert js(call("GET", f"/v1/projects/site/env/{by_key['S']}"))["value"] == ""
    assert call("DELETE", f"/v10/projects/site/env/{by_key['S']}").status == 200
    assert [e["key"] for e in js(call("GET", "/v10/projects/site/env"))["envs"]] == ["E"]


def test_a_deployment_snapshots_the_variables_of_its_target(call: Call) -> None:
    call("POST", "/v11/projects", {"name": "site"})
    call(
        "POST",
        "/v10/projects/site/env",
        {"key": "PROD", "value": "p", "type": "plain", "target": ["production"]},
    )
    production = deploy(call, {"index.html": b"1"})
    call(
        "POST",
        "/v10/projects/site/env",
        {"key": "LATER", "value": "l", "type": "plain", "target": ["production"]},
    )
    assert production["env"] == ["PROD"]
    assert deploy(call, {"index.html": b"2"})["env"] == []
