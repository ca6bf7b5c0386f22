"""The emulated Vercel API: file uploads, deployments and persistence, driven through its router
with an in-memory world and a fake clock (plus one request through the running sandbox)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

import httpx
from memory_world import MemoryWorld
from vercel_calls import SCOPE, TEAM, TOKEN, Call, Clock, deploy, js, ready, upload

from ci_deploy_sandbox.runtime import Sandbox
from ci_deploy_sandbox.vercel import VercelEmulator

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
