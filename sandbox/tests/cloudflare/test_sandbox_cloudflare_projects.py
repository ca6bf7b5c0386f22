"""The emulated Cloudflare API: tokens, accounts and Pages projects, through its router."""

from __future__ import annotations

import json

from cloudflare_client import ACCOUNT, PROJECTS, Client

from ci_deploy_sandbox.cloudflare_auth import ACCOUNT_SCOPED_TOKEN, MULTI_ACCOUNT_TOKEN

# --- tokens and accounts ----------------------------------------------------------------------


def test_a_missing_token_is_400_code_9106_and_a_wrong_one_403_code_10000(cf: Client) -> None:
    status, body = cf.call("GET", PROJECTS, token=None)
    assert (status, body["errors"][0]["code"]) == (400, 9106)
    status, body = cf.call("GET", PROJECTS, token="nope")
    assert (status, body["errors"][0]) == (403, {"code": 10000, "message": "Authentication error"})


def test_a_token_cannot_reach_an_account_it_does_not_belong_to(cf: Client) -> None:
    status, body = cf.call("GET", "/accounts/0123456789abcdef0123456789abcdef/pages/projects")
    assert (status, body["errors"][0]["code"]) == (403, 10000)


def test_memberships_show_one_account_for_the_sandbox_token_and_two_for_the_multi_account_token(
    cf: Client,
) -> None:
    assert [m["account"]["id"] for m in cf.ok("GET", "/memberships")] == [ACCOUNT]
    assert len(cf.ok("GET", "/memberships", token=MULTI_ACCOUNT_TOKEN)) == 2


def test_an_account_scoped_token_gets_9109_from_memberships_but_can_list_accounts(cf: Client) -> None:
    status, body = cf.call("GET", "/memberships", token=ACCOUNT_SCOPED_TOKEN)
    assert (status, body["errors"][0]["code"]) == (403, 9109)
    assert [a["id"] for a in cf.ok("GET", "/accounts", token=ACCOUNT_SCOPED_TOKEN)] == [ACCOUNT]


def test_token_verify_is_active_for_a_known_token_and_1000_for_an_unknown_one(cf: Client) -> None:
    assert cf.ok("GET", "/user/tokens/verify")["status"] == "active"
    status, body = cf.call("GET", "/user/tokens/verify", token="nope")
    assert (status, body["errors"][0]["code"]) == (401, 1000)


# --- projects ---------------------------------------------------------------------------------


def test_a_new_project_has_its_subdomain_and_both_deployment_configs(cf: Client) -> None:
    project = cf.create_project("shop")
    assert project["subdomain"] == "shop.pages.localhost"
    assert set(project["deployment_configs"]) == {"production", "preview"}
    assert project["production_branch"] == "main"
    assert project["source"] is None and project["latest_deployment"] is None


def test_a_taken_subdomain_gets_a_random_suffix(cf: Client) -> None:
    cf.world.settings["cloudflare.taken_subdomains"] = ["shop"]
    subdomain = cf.create_project("shop")["subdomain"]
    assert subdomain.startswith("shop-") and subdomain.endswith(".pages.localhost")


def test_project_names_are_checked_and_unique(cf: Client) -> None:
    assert cf.call("POST", PROJECTS, {"name": "Bad_Name"})[0] == 400
    cf.create_project("shop")
    status, body = cf.call("POST", PROJECTS, {"name": "shop"})
    assert status == 409 and not body["success"]


def test_an_unknown_project_is_404_with_code_8000007(cf: Client) -> None:
    status, body = cf.call("GET", f"{PROJECTS}/nowhere")
    assert (status, body["errors"][0]["code"]) == (404, 8000007)


def test_patch_merges_env_vars_deletes_null_keys_and_never_returns_secret_values(cf: Client) -> None:
    cf.create_project("shop")
    env = {"A": {"type": "plain_text", "value": "1"}, "S": {"type": "secret_text", "value": "hush"}}
    cf.ok("PATCH", f"{PROJECTS}/shop", {"deployment_configs": {"production": {"env_vars": env}}})
    patch = {"deployment_configs": {"production": {"env_vars": {"A": None, "B": {"value": "2"}}}}}
    project = cf.ok("PATCH", f"{PROJECTS}/shop", patch)
    assert project["deployment_configs"]["production"]["env_vars"] == {
        "S": {"type": "secret_text", "value": ""},
        "B": {"type": "plain_text", "value": "2"},
    }
    assert project["deployment_configs"]["preview"]["env_vars"] == {}
    assert "hush" not in json.dumps(cf.ok("GET", f"{PROJECTS}/shop"))


def test_patch_refuses_a_malformed_env_var_without_changing_anything(cf: Client) -> None:
    cf.create_project("shop")
    bad = {"A": {"type": "plain_text", "value": "1"}, "B": {"type": "weird", "value": "2"}}
    status, _ = cf.call(
        "PATCH", f"{PROJECTS}/shop", {"deployment_configs": {"production": {"env_vars": bad}}}
    )
    assert status == 400
    assert cf.ok("GET", f"{PROJECTS}/shop")["deployment_configs"]["production"]["env_vars"] == {}
