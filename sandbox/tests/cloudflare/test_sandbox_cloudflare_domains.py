"""The emulated Cloudflare API: custom domains and DNS zones, through its router."""

from __future__ import annotations

from cloudflare_client import ACCOUNT, PORT, PROJECTS, Client

from ci_deploy_sandbox.cloudflare_auth import DNS_READ_ONLY_TOKEN

# --- custom domains and DNS -------------------------------------------------------------------


def _zone_id(cf: Client, name: str) -> str:
    [zone] = cf.ok("GET", f"/zones?name={name}")
    return str(zone["id"])


def test_a_custom_domain_stays_pending_until_its_cname_exists_then_serves_production(cf: Client) -> None:
    cf.world.settings["cloudflare.zones"] = ["example.localhost"]
    cf.create_project("shop")
    live = cf.deployed("shop", branch="main")
    domains = f"{PROJECTS}/shop/domains"
    assert cf.ok("POST", domains, {"name": "www.example.localhost"})["status"] == "pending"
    assert cf.ok("GET", f"{domains}/www.example.localhost")["status"] == "pending"
    zone = _zone_id(cf, "example.localhost")
    record = {"type": "CNAME", "name": "www", "content": "shop.pages.localhost", "proxied": True}
    assert cf.ok("POST", f"/zones/{zone}/dns_records", record)["name"] == "www.example.localhost"
    assert cf.world.sites.lookup("www.example.localhost") is None
    domain = cf.ok("PATCH", f"{domains}/www.example.localhost")
    assert (domain["status"], domain["zone_tag"]) == ("active", zone)
    assert cf.world.sites.served_by("www.example.localhost") == live["id"]
    assert cf.ok("GET", f"{PROJECTS}/shop/deployments/{live['id']}")["aliases"] == [
        f"http://www.example.localhost:{PORT}"
    ]
    cf.ok("DELETE", f"{domains}/www.example.localhost")
    assert cf.world.sites.lookup("www.example.localhost") is None


def test_a_custom_domain_whose_cname_names_a_branch_alias_serves_that_branch(cf: Client) -> None:
    cf.world.settings["cloudflare.zones"] = ["example.localhost"]
    cf.create_project("shop")
    cf.deployed("shop", branch="main")
    preview = cf.deployed("shop", branch="dev")
    zone = _zone_id(cf, "example.localhost")
    cf.ok(
        "POST",
        f"/zones/{zone}/dns_records",
        {"type": "CNAME", "name": "pr", "content": "dev.shop.pages.localhost"},
    )
    cf.ok("POST", f"{PROJECTS}/shop/domains", {"name": "pr.example.localhost"})
    assert cf.ok("GET", f"{PROJECTS}/shop/domains")[0]["status"] == "active"
    assert cf.world.sites.served_by("pr.example.localhost") == preview["id"]


def test_dns_conflicts_answer_81053_and_81057_and_an_unknown_zone_7003(cf: Client) -> None:
    cf.world.settings["cloudflare.zones"] = ["example.localhost"]
    zone = _zone_id(cf, "example.localhost")
    records = f"/zones/{zone}/dns_records"
    cname = {"type": "CNAME", "name": "www.example.localhost", "content": "a.pages.localhost"}
    cf.ok("POST", records, cname)
    assert cf.call("POST", records, cname)[1]["errors"][0]["code"] == 81057
    assert (
        cf.call("POST", records, {**cname, "content": "b.pages.localhost"})[1]["errors"][0]["code"] == 81053
    )
    status, body = cf.call("POST", "/zones/" + "0" * 32 + "/dns_records", cname)
    assert (status, [e["code"] for e in body["errors"]]) == (400, [7003, 7000])
    [found] = cf.ok("GET", f"{records}?type=CNAME&name=www.example.localhost")
    updated = cf.ok("PATCH", f"{records}/{found['id']}", {"content": "b.pages.localhost"})
    assert updated["content"] == "b.pages.localhost"
    assert cf.ok("DELETE", f"{records}/{found['id']}") == {"id": found["id"]}


def test_a_token_without_dns_edit_can_read_records_but_not_write_them(cf: Client) -> None:
    cf.world.settings["cloudflare.zones"] = ["example.localhost"]
    zone = _zone_id(cf, "example.localhost")
    records = f"/zones/{zone}/dns_records"
    assert cf.ok("GET", records, token=DNS_READ_ONLY_TOKEN) == []
    cname = {"type": "CNAME", "name": "www", "content": "a.pages.localhost"}
    status, body = cf.call("POST", records, cname, token=DNS_READ_ONLY_TOKEN)
    assert (status, body["errors"][0]["code"]) == (403, 10000)


def test_zones_can_be_created_at_run_time(cf: Client) -> None:
    created = cf.ok("POST", "/zones", {"name": "new.localhost", "account": {"id": ACCOUNT}})
    assert _zone_id(cf, "new.localhost") == created["id"]
    assert cf.call("POST", "/zones", {"name": "new.localhost"})[0] == 400
