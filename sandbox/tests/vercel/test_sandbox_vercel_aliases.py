"""The emulated Vercel API: aliases, promote and rollback, and custom domains, driven through its
router with an in-memory world and a fake clock."""

from __future__ import annotations

from memory_world import MemoryWorld
from vercel_calls import Call, Clock, deploy, js, ready

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
    assert js(call("GET", "/v4/aliases/demo.localhost"))[0]["deploymentId"] == two["id"]
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
