"""Custom domains: attach, the CNAME they need, fixing DNS when allowed, polling, preview hosts."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import InputError
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi
from ci_deploy.platforms.cloudflare_pages.dns import zone_candidates
from ci_deploy.platforms.cloudflare_pages.domains import DomainsApi

BASE = "https://api.test/client/v4"
DOMAINS = f"{BASE}/accounts/acc/pages/projects/site/domains"
RECORDS = f"{BASE}/zones/z1/dns_records"
CNAME = {"type": "CNAME", "name": "www.example.com", "content": "site-x.pages.dev", "proxied": True, "ttl": 1}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def ok(result: object) -> dict[str, object]:
    return {"success": True, "errors": [], "result": result}


def fail(code: int, status_message: str = "error") -> dict[str, object]:
    return {"success": False, "errors": [{"code": code, "message": status_message}], "result": None}


def domain(status: str, name: str = "www.example.com") -> dict[str, object]:
    return {"name": name, "status": status, "validation_data": {"status": status, "method": "http"}}


def domains_api(clock: Clock | None = None) -> DomainsApi:
    clock = clock or Clock()
    api = CloudflareApi("tok_123", BASE, sleep=clock.sleep)
    return DomainsApi(api, "acc", "site", "site-x.pages.dev", clock=clock)


def zones(httpx_mock: HTTPXMock, found: dict[str, str], host: str = "www.example.com") -> None:
    """Zone lookups from the most specific name until one is found."""
    for name in zone_candidates(host):
        result = [{"id": found[name], "name": name}] if name in found else []
        httpx_mock.add_response(url=f"{BASE}/zones?name={name}&account.id=acc", json=ok(result))
        if result:
            return


def test_zone_candidates_go_from_host_to_registrable_name() -> None:
    assert zone_candidates("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com"]
    assert zone_candidates("example.com") == ["example.com"]


def test_attach_creates_the_proxied_cname_and_polls_until_active(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=DOMAINS, match_json={"name": "www.example.com"}, json=ok(domain("pending"))
    )
    zones(httpx_mock, {"example.com": "z1"})
    httpx_mock.add_response(method="GET", url=f"{RECORDS}?type=CNAME&name=www.example.com", json=ok([]))
    httpx_mock.add_response(method="POST", url=RECORDS, match_json=CNAME, json=ok({"id": "r1"}))
    httpx_mock.add_response(method="PATCH", url=f"{DOMAINS}/www.example.com", json=ok(domain("pending")))
    httpx_mock.add_response(method="GET", url=f"{DOMAINS}/www.example.com", json=ok(domain("active")))
    [status] = domains_api().attach_all(["www.example.com"], wait_seconds=60)
    assert (status.name, status.status, status.records) == ("www.example.com", "active", ())


def test_a_cname_pointing_elsewhere_is_fixed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=DOMAINS, json=ok(domain("pending")))
    zones(httpx_mock, {"www.example.com": "z1"})
    wrong = {"id": "r1", "content": "old.pages.dev", "proxied": False}
    httpx_mock.add_response(method="GET", url=f"{RECORDS}?type=CNAME&name=www.example.com", json=ok([wrong]))
    httpx_mock.add_response(method="PATCH", url=f"{RECORDS}/r1", match_json=CNAME, json=ok({"id": "r1"}))
    httpx_mock.add_response(method="PATCH", url=f"{DOMAINS}/www.example.com", json=ok(domain("active")))
    assert domains_api().attach_all(["www.example.com"], wait_seconds=60)[0].status == "active"


def test_already_attached_domain_is_fine(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=DOMAINS, status_code=409, json=fail(8000018, "already in use"))
    httpx_mock.add_response(method="GET", url=f"{DOMAINS}/www.example.com", json=ok(domain("active")))
    assert domains_api().attach_all(["www.example.com"], wait_seconds=60)[0].status == "active"


def test_without_dns_rights_the_domain_is_pending_naming_the_record_and_permission(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(method="POST", url=DOMAINS, json=ok(domain("pending")))
    zones(httpx_mock, {"example.com": "z1"})
    httpx_mock.add_response(
        method="GET", url=f"{RECORDS}?type=CNAME&name=www.example.com", json=ok([]),
    )  # fmt: skip
    httpx_mock.add_response(
        method="POST", url=RECORDS, status_code=403, json=fail(10000, "Authentication error")
    )
    httpx_mock.add_response(method="PATCH", url=f"{DOMAINS}/www.example.com", json=ok(domain("pending")))
    httpx_mock.add_response(
        method="GET", url=f"{DOMAINS}/www.example.com", json=ok(domain("pending")), is_reusable=True
    )
    clock = Clock()
    [status] = domains_api(clock).attach_all(["www.example.com"], wait_seconds=3)
    assert status.status == "pending"
    assert [(r.type, r.name, r.value) for r in status.records] == [
        ("CNAME", "www.example.com", "site-x.pages.dev")
    ]
    assert "'DNS: Edit'" in status.message
    assert clock.now == pytest.approx(3.0)  # waited exactly the bound, no longer


def test_a_domain_outside_the_account_says_which_record_to_add(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=DOMAINS, json=ok(domain("pending")))
    zones(httpx_mock, {})
    [status] = domains_api().attach_all(["www.example.com"], wait_seconds=0)
    assert status.status == "pending"
    assert "add the DNS record CNAME www.example.com -> site-x.pages.dev" in status.message


def test_status_reads_without_changing_anything(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=f"{DOMAINS}/www.example.com", json=ok(domain("pending")))
    httpx_mock.add_response(
        method="GET", url=f"{DOMAINS}/gone.example.com", status_code=404, json=fail(8000034)
    )
    pending, gone = domains_api().status(["www.example.com", "gone.example.com"])
    assert pending.status == "pending" and pending.records
    assert gone.status == "error"


def test_preview_domain_points_a_cname_at_the_branch_alias(httpx_mock: HTTPXMock) -> None:
    host = "pr-1.example.com"
    httpx_mock.add_response(
        method="POST", url=DOMAINS, match_json={"name": host}, json=ok(domain("pending", host))
    )
    zones(httpx_mock, {"example.com": "z1"}, host)
    httpx_mock.add_response(method="GET", url=f"{RECORDS}?type=CNAME&name={host}", json=ok([]))
    record = {"type": "CNAME", "name": host, "content": "feature.site-x.pages.dev", "proxied": True, "ttl": 1}
    httpx_mock.add_response(method="POST", url=RECORDS, match_json=record, json=ok({"id": "r1"}))
    httpx_mock.add_response(method="PATCH", url=f"{DOMAINS}/{host}", json=ok(domain("active", host)))
    domains_api().point_preview(host, "feature.site-x.pages.dev")


def test_preview_domain_without_dns_rights_is_an_input_error(httpx_mock: HTTPXMock) -> None:
    host = "pr-1.example.com"
    httpx_mock.add_response(method="POST", url=DOMAINS, json=ok(domain("pending", host)))
    httpx_mock.add_response(
        url=f"{BASE}/zones?name={host}&account.id=acc",
        status_code=403,
        json=fail(10000, "Authentication error"),
    )
    with pytest.raises(InputError, match="'DNS: Edit'") as caught:
        domains_api().point_preview(host, "feature.site-x.pages.dev")
    assert caught.value.input_name == "preview-domain"


def test_removing_a_preview_domain_deletes_only_our_cname(httpx_mock: HTTPXMock) -> None:
    host = "pr-1.example.com"
    httpx_mock.add_response(method="DELETE", url=f"{DOMAINS}/{host}", json=ok(None))
    zones(httpx_mock, {"example.com": "z1"}, host)
    ours = {"id": "r1", "content": "feature.site-x.pages.dev"}
    httpx_mock.add_response(method="GET", url=f"{RECORDS}?type=CNAME&name={host}", json=ok([ours]))
    httpx_mock.add_response(method="DELETE", url=f"{RECORDS}/r1", json=ok({"id": "r1"}))
    domains_api().unpoint_preview(host)
