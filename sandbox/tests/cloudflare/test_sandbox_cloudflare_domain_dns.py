"""A Pages custom domain outside the account's zones: pending until the owner's DNS host (the
sandbox DNS) has its CNAME, then active and served."""

from __future__ import annotations

from cloudflare_client import PROJECTS, Client

from ci_deploy_sandbox import dns


def test_a_pages_domain_outside_any_zone_stays_pending_until_the_owner_sets_its_cname(cf: Client) -> None:
    cf.create_project("shop")
    live = cf.deployed("shop", branch="main")
    domains = f"{PROJECTS}/shop/domains"
    added = cf.ok("POST", domains, {"name": "www.elsewhere.localhost"})
    assert (added["status"], added["verification_data"]["status"]) == ("pending", "pending")
    assert "POST /_sandbox/dns" in added["validation_data"]["error_message"]
    assert cf.ok("PATCH", f"{domains}/www.elsewhere.localhost")["status"] == "pending"
    assert cf.world.sites.lookup("www.elsewhere.localhost") is None
    dns.add(cf.world, "www.elsewhere.localhost", "CNAME", "shop.pages.localhost")
    domain = cf.ok("PATCH", f"{domains}/www.elsewhere.localhost")
    assert (domain["status"], domain["validation_data"]["status"]) == ("active", "active")
    assert "error_message" not in domain["verification_data"]
    assert cf.world.sites.served_by("www.elsewhere.localhost") == live["id"]
