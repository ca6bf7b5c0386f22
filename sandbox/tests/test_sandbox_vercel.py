"""The emulated Vercel API, driven through its router with an in-memory world and a fake clock
(plus one request through the running sandbox)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from memory_world import MemoryWorld

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.runtime import Sandbox
from ci_deploy_sandbox.vercel import VercelEmulator

TOKEN = identities.VERCEL_TOKEN
TEAM = identities.VERCEL_TEAM_ID
SCOPE = identities.VERCEL_TEAM_SLUG


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms / 1000


@pytest.fixture
def world() -> MemoryWorld:
    return MemoryWorld(4321)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(world: MemoryWorld, clock: Clock) -> VercelEmulator:
    return VercelEmulator(world, clock=clock, timers=False)


Call = Callable[..., app.Response]


@pytest.fixture
def call(api: VercelEmulator) -> Call:
    """``call(method, path, body=None, token=TOKEN, team=TEAM, headers={})`` -> Response."""

    def run(
        method: str,
        path: str,
        body: Any = None,
        token: str | None = TOKEN,
        team: str | None = TEAM,
        headers: dict[str, str] | None = None,
    ) -> app.Response:
        if team:
            path += ("&" if "?" in path else "?") + f"teamId={team}"
        sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        request = app.Request.build(method, path, sent, data, port=4321)
        route = api.router.match(request)
        return route.handler(request) if route else api.error(request, 404, "no route")

    return run


def js(response: app.Response) -> Any:
    return json.loads(response.body)


def upload(call: Call, data: bytes) -> str:
    sha = hashlib.sha1(data).hexdigest()
    response = call("POST", "/v2/files", data, headers={"x-now-digest": sha, "x-now-size": str(len(data))})
    assert response.status == 200, response.body
    return sha


def deploy(call: Call, files: dict[str, bytes], query: str = "", **body: Any) -> dict[str, Any]:
    """Upload ``files`` and create a deployment of them (project ``site`` unless named)."""
    entries = [{"file": p, "sha": upload(call, d), "size": len(d), "mode": 33188} for p, d in files.items()]
    response = call("POST", f"/v13/deployments{query}", {"name": "site", "files": entries, **body})
    assert response.status == 200, response.body
    created: dict[str, Any] = js(response)
    return created


def ready(call: Call, deployment: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = js(call("GET", f"/v13/deployments/{deployment['id']}"))
    return found


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


# --- files -----------------------------------------------------------------------------------------


def test_an_upload_is_counted_and_stored_under_its_sha1(call: Call, world: MemoryWorld) -> None:
    sha = upload(call, b"hello")
    assert world.blobs.read(f"vercel/{TEAM}", sha) == b"hello"
    assert world.counters == {"files_uploaded": 1, "bytes_uploaded": 5}


def test_an_upload_whose_body_does_not_match_its_digest_is_refused_with_the_real_message(call: Call) -> None:
    wrong = hashlib.sha1(b"other").hexdigest()
    response = call("POST", "/v2/now/files", b"hello", headers={"x-vercel-digest": wrong})
    assert response.status == 400
    actual = hashlib.sha1(b"hello").hexdigest()
    message = f"SHA1 sum of the file ({actual}) doesn't match the provided SHA1 sum ({wrong})"
    assert js(response)["error"]["message"] == message


def test_an_upload_without_a_digest_is_refused(call: Call) -> None:
    response = call("POST", "/v2/files", b"hello")
    assert (response.status, js(response)["error"]["message"]) == (400, "File digest missing")


# --- deployments -----------------------------------------------------------------------------------


def test_create_answers_missing_files_naming_each_unknown_sha_once(call: Call) -> None:
    sha = hashlib.sha1(b"x").hexdigest()
    files = [{"file": "a.html", "sha": sha, "size": 1}, {"file": "b.html", "sha": sha, "size": 1}]
    response = call("POST", "/v13/deployments", {"name": "site", "files": files})
    assert response.status == 400
    assert js(response)["error"] == {"code": "missing_files", "message": "Missing files", "missing": [sha]}


def test_the_first_deployment_goes_to_production_and_becomes_ready_after_the_build_delay(
    call: Call, world: MemoryWorld, clock: Clock
) -> None:
    world.settings["vercel.build_delay_ms"] = 4000
    created = deploy(call, {"index.html": b"<p>hi</p>"})
    assert (created["readyState"], created["target"], created["aliasAssigned"]) == (
        "QUEUED",
        "production",
        False,
    )
    assert created["url"].endswith(f"-{SCOPE}.vercel.localhost:4321")
    clock.advance(2000)
    assert ready(call, created)["readyState"] == "BUILDING"
    assert f"{created['url'].split(':')[0]}" not in world.sites.hosts
    clock.advance(2000)
    done = ready(call, created)
    assert done["readyState"] == "READY" and done["aliasAssigned"]
    assert done["alias"] == ["site.vercel.localhost"]
    assert done["readySubstate"] == "PROMOTED"
    assert world.sites.hosts["site.vercel.localhost"].files == {
        "/index.html": hashlib.sha1(b"<p>hi</p>").hexdigest()
    }


def test_a_later_deployment_without_target_is_a_preview_with_a_git_branch_alias(
    call: Call, world: MemoryWorld
) -> None:
    first = ready(call, deploy(call, {"index.html": b"one"}))
    git = {"commitRef": "Feature/Login_Page", "commitSha": "abc"}
    preview = ready(call, deploy(call, {"index.html": b"two"}, gitMetadata=git))
    assert preview["target"] is None
    assert preview["alias"] == [f"site-git-feature-login-page-{SCOPE}.vercel.localhost"]
    assert world.sites.hosts["site.vercel.localhost"].deployment_id == first["id"]


def test_a_failed_build_ends_in_error_and_consumes_the_switch(call: Call, world: MemoryWorld) -> None:
    world.settings["vercel.fail_next_builds"] = 1
    failed = ready(call, deploy(call, {"index.html": b"x"}))
    assert failed["readyState"] == "ERROR" and failed["errorCode"] and failed["errorMessage"]
    assert world.settings["vercel.fail_next_builds"] == 0
    assert "site.vercel.localhost" not in world.sites.hosts
    events = call("GET", f"/v3/now/deployments/{failed['id']}/events?follow=1&format=lines").body.decode()
    assert any(json.loads(line)["type"] == "stderr" for line in events.splitlines())


def test_inline_files_need_no_upload(call: Call, world: MemoryWorld) -> None:
    body = {"name": "site", "files": [{"file": "index.html", "data": "PHA+aGk8L3A+", "encoding": "base64"}]}
    created = js(call("POST", "/v13/deployments", body))
    assert ready(call, created)["readyState"] == "READY"
    site = world.sites.hosts["site.vercel.localhost"]
    assert world.blobs.read(site.namespace, site.files["/index.html"]) == b"<p>hi</p>"


def test_a_prebuilt_deployment_serves_its_build_output_tree_with_its_config(
    call: Call, world: MemoryWorld
) -> None:
    config = json.dumps({"version": 3, "routes": [{"handle": "filesystem"}]}).encode()
    files = {".vercel/output/config.json": config, ".vercel/output/static/index.html": b"pre"}
    created = deploy(call, files, query="?prebuilt=1")
    ready(call, created)
    site = world.sites.hosts["site.vercel.localhost"]
    assert set(site.files) == {"/.vercel/output/config.json", "/.vercel/output/static/index.html"}
    assert site.config == {"version": 3, "routes": [{"handle": "filesystem"}]}


def test_a_deployment_is_found_by_its_url_with_or_without_port_and_scheme(call: Call) -> None:
    created = deploy(call, {"index.html": b"x"})
    host = created["url"].split(":")[0]
    for ref in (created["url"], host, f"https://{host}"):
        assert js(call("GET", f"/v13/deployments/{quote(ref, safe='')}"))["id"] == created["id"]


def test_list_pages_newest_first_with_until(call: Call) -> None:
    ids = [deploy(call, {"index.html": str(n).encode()})["id"] for n in range(5)]
    first = js(call("GET", "/v6/deployments?limit=2&projectId=site"))
    assert [d["uid"] for d in first["deployments"]] == ids[:-3:-1]
    following = js(call("GET", f"/v6/deployments?limit=2&projectId=site&until={first['pagination']['next']}"))
    assert [d["uid"] for d in following["deployments"]] == [ids[2], ids[1]]
    last = js(call("GET", f"/v7/deployments?limit=2&until={following['pagination']['next']}"))
    assert ([d["uid"] for d in last["deployments"]], last["pagination"]["next"]) == ([ids[0]], None)


def test_a_malformed_limit_is_a_400_not_a_crash(call: Call) -> None:
    response = call("GET", "/v6/deployments?limit=lots")
    assert (response.status, js(response)["error"]["code"]) == (400, "bad_request")


def test_delete_takes_the_deployment_and_its_aliases_off_the_air(call: Call, world: MemoryWorld) -> None:
    created = ready(call, deploy(call, {"index.html": b"x"}))
    response = call("DELETE", f"/v13/deployments/{created['id']}")
    assert js(response) == {"uid": created["id"], "state": "DELETED"}
    assert world.sites.hosts == {}
    assert call("GET", f"/v13/deployments/{created['id']}").status == 404


def test_a_deployment_of_another_team_is_not_found(call: Call) -> None:
    created = deploy(call, {"index.html": b"x"})
    assert call("GET", f"/v13/deployments/{created['id']}", team=None).status == 404


# --- aliases, promote, rollback ----------------------------------------------------------------------


def test_a_manual_alias_moves_between_deployments_and_reports_the_old_one(
    call: Call, world: MemoryWorld
) -> None:
    one = ready(call, deploy(call, {"index.html": b"1"}))
    two = ready(call, deploy(call, {"index.html": b"2"}))
    first = js(call("POST", f"/v2/deployments/{one['id']}/aliases", {"alias": "demo.localhost"}))
    assert first["oldDeploymentId"] is None
    moved = js(call("POST", f"/now/deployments/{two['id']}/aliases", {"alias": "demo.localhost"}))
    assert (moved["uid"], moved["oldDeploymentId"]) == (first["uid"], one["id"])
    assert world.sites.hosts["demo.localhost"].deployment_id == two["id"]
    assert js(call("GET", "/v4/aliases/demo.localhost"))["deploymentId"] == two["id"]
    assert call("DELETE", f"/v2/aliases/{first['uid']}").status == 200
    assert "demo.localhost" not in world.sites.hosts


def test_rollback_pauses_auto_promotion_and_promote_resumes_it(call: Call, world: MemoryWorld) -> None:
    one = ready(call, deploy(call, {"index.html": b"1"}))
    two = ready(call, deploy(call, {"index.html": b"2"}, target="production"))
    project = js(call("GET", "/v9/projects/site"))["id"]
    assert call("POST", f"/v9/projects/{project}/rollback/{one['id']}", {}).status == 201
    job = js(call("GET", f"/v9/projects/{project}?rollbackInfo=true"))["lastAliasRequest"]
    assert (job["type"], job["jobStatus"], job["toDeploymentId"]) == ("rollback", "succeeded", one["id"])
    three = ready(call, deploy(call, {"index.html": b"3"}, target="production"))
    assert (three["readySubstate"], three["alias"]) == ("STAGED", [])
    assert world.sites.hosts["site.vercel.localhost"].deployment_id == one["id"]
    assert call("POST", f"/v10/projects/{project}/promote/{two['id']}", {}).status == 201
    assert world.sites.hosts["site.vercel.localhost"].deployment_id == two["id"]
    four = ready(call, deploy(call, {"index.html": b"4"}, target="production"))
    assert world.sites.hosts["site.vercel.localhost"].deployment_id == four["id"]


def test_a_promote_is_pending_until_the_alias_delay_has_passed(
    call: Call, world: MemoryWorld, clock: Clock
) -> None:
    world.settings["vercel.alias_delay_ms"] = 500
    one = ready(call, deploy(call, {"index.html": b"1"}))
    ready(call, deploy(call, {"index.html": b"2"}, target="production"))
    project = js(call("GET", "/v9/projects/site"))
    call("POST", f"/v10/projects/{project['id']}/promote/{one['id']}", {})
    status = js(call("GET", "/v9/projects/site?rollbackInfo=true"))["lastAliasRequest"]["jobStatus"]
    assert status == "pending"
    clock.advance(500)
    assert (
        js(call("GET", "/v9/projects/site?rollbackInfo=true"))["lastAliasRequest"]["jobStatus"] == "succeeded"
    )
    assert world.sites.hosts["site.vercel.localhost"].deployment_id == one["id"]


def test_only_a_ready_production_deployment_can_be_promoted(call: Call) -> None:
    ready(call, deploy(call, {"index.html": b"1"}))
    preview = ready(call, deploy(call, {"index.html": b"2"}))
    project = js(call("GET", "/v9/projects/site"))["id"]
    assert call("POST", f"/v10/projects/{project}/promote/{preview['id']}", {}).status == 400


def test_redeploying_a_preview_as_production_reuses_its_files(call: Call, world: MemoryWorld) -> None:
    ready(call, deploy(call, {"index.html": b"1"}))
    preview = ready(call, deploy(call, {"index.html": b"2"}))
    body = {
        "deploymentId": preview["id"],
        "name": "site",
        "target": "production",
        "meta": {"action": "promote"},
    }
    promoted = ready(call, js(call("POST", "/v13/deployments", body)))
    assert promoted["target"] == "production" and promoted["meta"] == {"action": "promote"}
    assert (
        world.sites.hosts["site.vercel.localhost"].files
        == world.sites.hosts[promoted["url"].split(":")[0]].files
    )


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


# --- domains -----------------------------------------------------------------------------------------


def test_a_free_domain_is_verified_and_follows_production(call: Call, world: MemoryWorld) -> None:
    one = ready(call, deploy(call, {"index.html": b"1"}))
    added = js(call("POST", "/v10/projects/site/domains", {"name": "www.example.localhost"}))
    assert added["verified"] is True and "verification" not in added
    assert world.sites.hosts["www.example.localhost"].deployment_id == one["id"]
    two = ready(call, deploy(call, {"index.html": b"2"}, target="production"))
    assert "www.example.localhost" in two["alias"]
    assert world.sites.hosts["www.example.localhost"].deployment_id == two["id"]


def test_a_domain_in_use_elsewhere_needs_its_txt_record_before_it_verifies(
    call: Call, world: MemoryWorld
) -> None:
    world.settings["vercel.domains_needing_verification"] = ["example.com"]
    ready(call, deploy(call, {"index.html": b"1"}))
    added = js(call("POST", "/v10/projects/site/domains", {"name": "www.example.com"}))
    (challenge,) = added["verification"]
    assert (added["verified"], challenge["type"], challenge["domain"]) == (
        False,
        "TXT",
        "_vercel.example.com",
    )
    assert challenge["value"].startswith("vc-domain-verify=www.example.com,")
    assert "www.example.com" not in world.sites.hosts
    assert call("POST", "/v9/projects/site/domains/www.example.com/verify").status == 400
    world.settings["vercel.dns"] = {"_vercel.example.com TXT": [challenge["value"]]}
    verified = js(call("POST", "/v9/projects/site/domains/www.example.com/verify"))
    assert verified["verified"] is True and "www.example.com" in world.sites.hosts
    assert js(call("GET", "/v9/projects/site/domains/www.example.com"))["verified"] is True


def test_domain_config_is_misconfigured_until_the_dns_points_at_a_recommended_value(
    call: Call, world: MemoryWorld
) -> None:
    config = js(call("GET", "/v6/domains/example.com/config"))
    assert config["misconfigured"] is True and config["recommendedIPv4"][0]["value"] == ["76.76.21.21"]
    world.settings["vercel.dns"] = {
        "example.com A": "76.76.21.21",
        "www.example.com CNAME": "cname.vercel-dns.com.",
    }
    assert js(call("GET", "/v6/domains/example.com/config"))["configuredBy"] == "A"
    www = js(call("GET", "/v6/domains/www.example.com/config"))
    assert (www["configuredBy"], www["misconfigured"]) == ("CNAME", False)


# --- persistence and the running sandbox -------------------------------------------------------------


def test_a_snapshot_restores_into_a_new_api_that_serves_the_same_hosts(
    api: VercelEmulator, call: Call, world: MemoryWorld, clock: Clock
) -> None:
    created = ready(call, deploy(call, {"index.html": b"1"}))
    saved = json.loads(json.dumps(api.snapshot()))
    world.sites.hosts.clear()
    restored = VercelEmulator(world, clock=clock, timers=False)
    restored.restore(saved)
    assert world.sites.hosts["site.vercel.localhost"].deployment_id == created["id"]
    assert world.sites.hosts[created["url"].split(":")[0]].deployment_id == created["id"]


def test_the_running_sandbox_serves_a_deployment_at_its_url(
    sandbox: Sandbox, http_client: httpx.Client
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    base, team = sandbox.vercel_api_url, {"teamId": TEAM}
    body = b"<h1>live</h1>"
    sha = hashlib.sha1(body).hexdigest()
    uploaded = http_client.post(
        f"{base}/v2/files", params=team, headers={**auth, "x-now-digest": sha}, content=body
    )
    assert uploaded.status_code == 200
    files = [{"file": "index.html", "sha": sha, "size": len(body), "mode": 33188}]
    created = http_client.post(
        f"{base}/v13/deployments", params=team, headers=auth, json={"name": "live", "files": files}
    )
    url = created.json()["url"]
    assert (
        http_client.get(f"{base}/v13/deployments/{created.json()['id']}", params=team, headers=auth).json()[
            "readyState"
        ]
        == "READY"
    )
    assert http_client.get(f"http://{url}/").content == body
    assert http_client.get(f"http://live.vercel.localhost:{sandbox.port}/").content == body
    assert sandbox.counters()["files_uploaded"] == 1
