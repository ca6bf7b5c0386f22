"""The sandbox DNS (the domain owner's DNS host): records set, replaced and removed, in Python
and through the control API. What the platforms make of it is tested with each platform."""

from __future__ import annotations

import httpx
import pytest
from memory_world import MemoryWorld

from ci_deploy_sandbox import dns
from ci_deploy_sandbox.runtime import Sandbox


def test_records_are_added_replaced_and_removed() -> None:
    world = MemoryWorld()
    dns.add(world, "WWW.Example.localhost.", "cname", "a.pages.localhost")
    dns.add(world, "www.example.localhost", "CNAME", "b.pages.localhost.")
    dns.add(world, "example.localhost", "A", "76.76.21.21")
    assert dns.lookup(world, "www.example.localhost", "CNAME") == ["b.pages.localhost"]
    dns.remove(world, "www.example.localhost")
    assert dns.lookup(world, "www.example.localhost", "CNAME") == []
    assert dns.lookup(world, "example.localhost", "A") == ["76.76.21.21"]
    with pytest.raises(ValueError, match="type must be one of"):
        dns.add(world, "x.localhost", "MX", "mail")


def test_the_control_api_sets_lists_and_deletes_records() -> None:
    with Sandbox() as sandbox, httpx.Client(base_url=sandbox.control_url) as client:
        record = {"name": "www.shop.localhost", "type": "CNAME", "value": "shop.pages.localhost"}
        assert client.post("/dns", json=record).json() == {
            "records": {"www.shop.localhost CNAME": ["shop.pages.localhost"]}
        }
        assert client.get("/dns").json()["records"] == {"www.shop.localhost CNAME": ["shop.pages.localhost"]}
        assert client.post("/dns", json={"name": "x", "type": "MX", "value": "y"}).status_code == 400
        assert client.delete("/dns", params={"name": "www.shop.localhost"}).json() == {"records": {}}
