"""The emulated Cloudflare API: uploads, deployments and their aliases, persistence and faults,
through its router. The real wrangler against the real server is in tests/conformance."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cloudflare_client import PORT, PROJECTS, TOKEN, Client, host

from ci_deploy_sandbox import app

# --- upload token and assets ------------------------------------------------------------------


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_upload_jwt_payload_carries_the_file_limit_and_the_expiry_setting(cf: Client) -> None:
    cf.create_project("shop")
    cf.world.settings.update({"cloudflare.upload_token_ttl": 60, "cloudflare.max_file_count": 500})
    claims = _claims(cf.ok("GET", f"{PROJECTS}/shop/upload-token")["jwt"])
    assert claims["max_file_count_allowed"] == 500
    assert claims["exp"] == int(cf.clock.now) + 60


def test_asset_calls_refuse_an_expired_or_forged_jwt_with_401_code_8000013(cf: Client) -> None:
    cf.create_project("shop")
    jwt = cf.ok("GET", f"{PROJECTS}/shop/upload-token")["jwt"]
    head, _, signature = jwt.split(".")
    forged_claims = {**_claims(jwt), "max_file_count_allowed": 10**9}
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")
    for token in (f"{head}.{forged}.{signature}", "not-a-jwt", TOKEN):
        status, body = cf.call("POST", "/pages/assets/check-missing", {"hashes": []}, token=token)
        assert (status, body["errors"][0]["code"]) == (401, 8000013)
    cf.clock.now += 301
    status, body = cf.call("POST", "/pages/assets/check-missing", {"hashes": []}, token=jwt)
    assert (status, body["errors"][0]["code"]) == (401, 8000013)


def test_check_missing_answers_per_project_and_upload_counts_files_and_bytes(cf: Client) -> None:
    cf.create_project("shop")
    cf.create_project("blog")
    manifest = cf.upload("shop", {"/a.txt": b"aaa", "/b.txt": b"bb"})
    assert cf.world.counters == {"files_uploaded": 2, "bytes_uploaded": 5}
    hashes = sorted(manifest.values())
    shop_jwt = cf.ok("GET", f"{PROJECTS}/shop/upload-token")["jwt"]
    blog_jwt = cf.ok("GET", f"{PROJECTS}/blog/upload-token")["jwt"]
    unknown = "0" * 32
    assert cf.ok("POST", "/pages/assets/check-missing", {"hashes": [*hashes, unknown]}, token=shop_jwt) == [
        unknown
    ]
    assert sorted(cf.ok("POST", "/pages/assets/check-missing", {"hashes": hashes}, token=blog_jwt)) == hashes
    assert cf.ok("POST", "/pages/assets/upsert-hashes", {"hashes": hashes}, token=shop_jwt) is None


def test_upload_refuses_keys_that_are_not_32_hex_and_values_that_are_not_base64(cf: Client) -> None:
    cf.create_project("shop")
    jwt = cf.ok("GET", f"{PROJECTS}/shop/upload-token")["jwt"]
    for item in (
        {"key": "x" * 32, "value": "", "base64": True},
        {"key": "a" * 32, "value": "!!", "base64": True},
    ):
        status, _ = cf.call("POST", "/pages/assets/upload", [item], token=jwt)
        assert status == 400
    assert cf.world.counters == {}


# --- deployments ------------------------------------------------------------------------------


def test_a_deployment_on_the_production_branch_is_production_and_serves_the_project_host(cf: Client) -> None:
    cf.create_project("shop")
    deployment = cf.deployed("shop", branch="main", commit_hash="abc123", commit_dirty="false")
    assert deployment["environment"] == "production"
    assert deployment["url"] == f"http://{deployment['short_id']}.shop.pages.localhost:{PORT}"
    assert deployment["short_id"] == deployment["id"][:8]
    assert deployment["aliases"] is None
    assert deployment["deployment_trigger"]["metadata"]["commit_hash"] == "abc123"
    assert deployment["latest_stage"] == {**deployment["latest_stage"], "name": "deploy", "status": "success"}
    assert cf.world.sites.served_by("shop.pages.localhost") == deployment["id"]
    assert cf.world.sites.served_by(host(deployment["url"])) == deployment["id"]


def test_a_deployment_without_a_branch_goes_to_the_production_branch(cf: Client) -> None:
    cf.create_project("shop", branch="trunk")
    deployment = cf.deployed("shop")
    assert (deployment["environment"], deployment["deployment_trigger"]["metadata"]["branch"]) == (
        "production",
        "trunk",
    )


@pytest.mark.parametrize(
    ("branch", "label"),
    [
        ("fix/api", "fix-api"),
        ("dependabot/npm_and_yarn/dustjs-linkedin-3.0.0", "dependabot-npm-and-yarn-dust"),
        ("Feature__X", "feature--x"),
        ("-/lead-and-trail/-", "lead-and-trail"),
        ("a" * 27 + "/b", "a" * 27 + "-"),
    ],
)
def test_a_preview_gets_the_branch_alias_by_the_pages_slug_rule(cf: Client, branch: str, label: str) -> None:
    cf.create_project("shop")
    deployment = cf.deployed("shop", branch=branch)
    assert deployment["environment"] == "preview"
    assert deployment["aliases"] == [f"http://{label}.shop.pages.localhost:{PORT}"]
    assert cf.world.sites.served_by(f"{label}.shop.pages.localhost") == deployment["id"]
    assert cf.world.sites.lookup("shop.pages.localhost") is None


def test_a_branch_with_no_label_characters_gets_a_stable_random_alias(cf: Client) -> None:
    cf.create_project("shop")
    first = cf.deployed("shop", branch="???")["aliases"]
    assert first[0].startswith("http://branch-") and first == cf.deployed("shop", branch="???")["aliases"]


def test_stages_advance_with_time_and_the_site_is_served_only_once_deploy_succeeded(cf: Client) -> None:
    cf.world.settings["cloudflare.deploy_delay_ms"] = 1000
    cf.create_project("shop")
    deployment = cf.deployed("shop", branch="main")
    assert deployment["latest_stage"]["name"] == "queued" and deployment["latest_stage"]["status"] == "active"
    assert cf.world.sites.lookup("shop.pages.localhost") is None
    get = f"{PROJECTS}/shop/deployments/{deployment['id']}"
    cf.clock.now += 0.9
    assert cf.ok("GET", get)["latest_stage"]["name"] == "deploy"
    assert cf.ok("GET", get)["latest_stage"]["status"] == "active"
    assert cf.world.sites.lookup("shop.pages.localhost") is None
    cf.clock.now += 0.2
    stages = cf.ok("GET", get)["stages"]
    assert [s["status"] for s in stages] == ["success"] * 5
    assert cf.world.sites.served_by("shop.pages.localhost") == deployment["id"]


def test_a_build_failed_on_demand_ends_in_deploy_failure_with_an_error_log_line(cf: Client) -> None:
    cf.world.settings["cloudflare.fail_next_builds"] = 1
    cf.create_project("shop")
    failed = cf.deployed("shop", branch="main")
    assert failed["latest_stage"]["name"] == "deploy" and failed["latest_stage"]["status"] == "failure"
    logs = cf.ok("GET", f"{PROJECTS}/shop/deployments/{failed['id']}/history/logs")
    assert logs["data"][logs["total"] - 1]["line"].startswith("Error:")
    assert cf.world.sites.lookup(host(failed["url"])) is None
    assert cf.deployed("shop", branch="main")["latest_stage"]["status"] == "success"


def test_the_manifest_must_name_uploaded_hashes_of_the_right_content(cf: Client) -> None:
    cf.create_project("shop")
    manifest = cf.upload("shop", {"/a.txt": b"aaa"})
    status, body = cf.deploy("shop", {**manifest, "/b.txt": "f" * 32})
    assert status == 400 and "never uploaded" in body["errors"][0]["message"]
    status, body = cf.deploy("shop", {"/a.png": manifest["/a.txt"]})  # same bytes, other extension
    assert status == 400 and "hashes to" in body["errors"][0]["message"]


def test_a_deployment_takes_the_env_vars_of_its_environment_at_creation(cf: Client) -> None:
    cf.create_project("shop")
    env = {"deployment_configs": {"preview": {"env_vars": {"K": {"type": "plain_text", "value": "v1"}}}}}
    cf.ok("PATCH", f"{PROJECTS}/shop", env)
    deployment = cf.deployed("shop", branch="dev")
    env["deployment_configs"]["preview"]["env_vars"]["K"]["value"] = "v2"
    cf.ok("PATCH", f"{PROJECTS}/shop", env)
    again = cf.ok("GET", f"{PROJECTS}/shop/deployments/{deployment['id']}")
    assert again["env_vars"] == {"K": {"type": "plain_text", "value": "v1"}}


def test_the_branch_alias_follows_the_newest_success_and_aliased_deletes_need_force(cf: Client) -> None:
    cf.create_project("shop")
    old = cf.deployed("shop", branch="dev")
    new = cf.deployed("shop", branch="dev")
    assert cf.world.sites.served_by("dev.shop.pages.localhost") == new["id"]
    assert cf.ok("DELETE", f"{PROJECTS}/shop/deployments/{old['id']}") is None
    status, body = cf.call("DELETE", f"{PROJECTS}/shop/deployments/{new['id']}")
    assert (status, body["errors"][0]["code"]) == (400, 8000035)
    cf.ok("DELETE", f"{PROJECTS}/shop/deployments/{new['id']}?force=true")
    assert cf.world.sites.lookup("dev.shop.pages.localhost") is None
    assert cf.world.sites.lookup(host(new["url"])) is None


def test_the_live_production_deployment_cannot_be_deleted_even_with_force(cf: Client) -> None:
    cf.create_project("shop")
    live = cf.deployed("shop", branch="main")
    status, _ = cf.call("DELETE", f"{PROJECTS}/shop/deployments/{live['id']}?force=true")
    assert status == 400
    assert cf.world.sites.served_by("shop.pages.localhost") == live["id"]


def test_rollback_makes_an_older_production_live_until_a_newer_one_succeeds(cf: Client) -> None:
    cf.create_project("shop")
    first = cf.deployed("shop", branch="main")
    second = cf.deployed("shop", branch="main")
    preview = cf.deployed("shop", branch="dev")
    assert cf.ok("POST", f"{PROJECTS}/shop/deployments/{first['id']}/rollback")["id"] == first["id"]
    assert cf.world.sites.served_by("shop.pages.localhost") == first["id"]
    assert cf.ok("GET", f"{PROJECTS}/shop")["canonical_deployment"]["id"] == first["id"]
    assert cf.call("POST", f"{PROJECTS}/shop/deployments/{preview['id']}/rollback")[0] == 400
    cf.ok("DELETE", f"{PROJECTS}/shop/deployments/{second['id']}")
    third = cf.deployed("shop", branch="main")
    assert cf.world.sites.served_by("shop.pages.localhost") == third["id"]


def test_deployments_list_newest_first_filtered_by_environment_and_paged(cf: Client) -> None:
    cf.create_project("shop")
    made = [cf.deployed("shop", branch=b)["id"] for b in ("main", "dev", "main", "dev")]
    _, body = cf.call("GET", f"{PROJECTS}/shop/deployments?env=production&per_page=1&page=2")
    assert [d["id"] for d in body["result"]] == [made[0]]
    assert body["result_info"] == {"page": 2, "per_page": 1, "count": 1, "total_count": 2, "total_pages": 2}
    assert [d["id"] for d in cf.ok("GET", f"{PROJECTS}/shop/deployments")] == made[::-1]


def test_the_project_shows_latest_and_canonical_deployments(cf: Client) -> None:
    cf.create_project("shop")
    production = cf.deployed("shop", branch="main")
    preview = cf.deployed("shop", branch="dev")
    project = cf.ok("GET", f"{PROJECTS}/shop")
    assert project["latest_deployment"]["id"] == preview["id"]
    assert project["canonical_deployment"]["id"] == production["id"]


# --- persistence, faults, errors --------------------------------------------------------------


def test_a_restored_snapshot_serves_the_same_sites_and_accepts_the_same_upload_tokens(cf: Client) -> None:
    cf.create_project("shop")
    live = cf.deployed("shop", branch="main")
    jwt = cf.ok("GET", f"{PROJECTS}/shop/upload-token")["jwt"]
    saved = json.loads(json.dumps(cf.api.snapshot()))
    again = Client()
    again.clock.now = cf.clock.now
    again.api.restore(saved)
    assert again.world.sites.served_by("shop.pages.localhost") == live["id"]
    assert again.ok("GET", f"{PROJECTS}/shop/deployments/{live['id']}")["id"] == live["id"]
    assert again.ok("POST", "/pages/assets/upsert-hashes", {"hashes": []}, token=jwt) is None


def test_the_expired_token_fault_answers_like_an_expired_jwt(cf: Client) -> None:
    request = app.Request.build("POST", "/client/v4/pages/assets/upload", {})
    response = cf.api.fault("expired-token", request)
    assert (response.status, json.loads(response.body)["errors"][0]["code"]) == (401, 8000013)


def test_injected_server_errors_use_code_8000000_so_wrangler_retries_deployment_creation(cf: Client) -> None:
    request = app.Request.build("POST", f"/client/v4{PROJECTS}/shop/deployments", {})
    response = cf.api.error(request, 500, "injected")
    assert json.loads(response.body)["errors"][0]["code"] == 8000000


def test_writes_ask_the_world_to_save(cf: Client) -> None:
    cf.create_project("shop")
    assert cf.world.saves >= 1
