"""Vercel domains against the sandbox DNS: the configuration is misconfigured until an A or
CNAME points at Vercel; a domain in use elsewhere verifies once its TXT challenge exists."""

from __future__ import annotations

from memory_world import MemoryWorld
from vercel_calls import Call, js

from ci_deploy_sandbox import dns


def test_a_vercel_domain_is_misconfigured_until_its_cname_points_at_vercel(
    call: Call, world: MemoryWorld
) -> None:
    assert call("POST", "/v11/projects", {"name": "site"}).status == 200
    call("POST", "/v10/projects/site/domains", {"name": "www.shop.localhost"})
    config = "/v6/domains/www.shop.localhost/config"
    assert js(call("GET", config))["misconfigured"] is True
    dns.add(world, "www.shop.localhost", "CNAME", "cname.vercel-dns.com")
    assert (js(call("GET", config))["misconfigured"], js(call("GET", config))["configuredBy"]) == (
        False,
        "CNAME",
    )


def test_a_vercel_domain_in_use_elsewhere_verifies_once_its_txt_record_exists(
    call: Call, world: MemoryWorld
) -> None:
    world.set_setting("vercel.domains_needing_verification", ["taken.localhost"])
    call("POST", "/v11/projects", {"name": "site"})
    added = js(call("POST", "/v10/projects/site/domains", {"name": "www.taken.localhost"}))
    assert added["verified"] is False
    [challenge] = added["verification"]
    verify = "/v9/projects/site/domains/www.taken.localhost/verify"
    assert call("POST", verify, {}).status == 400
    dns.add(world, challenge["domain"], "TXT", challenge["value"])
    assert js(call("POST", verify, {}))["verified"] is True


def test_a_domain_another_project_of_the_team_holds_is_409_until_removed_there(call: Call) -> None:
    for name in ("site", "other"):
        call("POST", "/v11/projects", {"name": name})
    assert call("POST", "/v10/projects/site/domains", {"name": "www.shop.localhost"}).status == 200
    taken = call("POST", "/v10/projects/other/domains", {"name": "www.shop.localhost"})
    error = js(taken)["error"]
    assert (taken.status, error["code"]) == (409, "domain_already_in_use")
    assert "another project" in error["message"] and error["projectId"].startswith("prj_")
    assert call("DELETE", "/v9/projects/site/domains/www.shop.localhost").status == 200
    assert call("POST", "/v10/projects/other/domains", {"name": "www.shop.localhost"}).status == 200
