"""Custom domains: attach, verify, DNS config from the API, pending reported with what is missing."""

from __future__ import annotations

import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy.platforms.base import DnsRecord
from ci_deploy.platforms.vercel.api import VercelApi
from ci_deploy.platforms.vercel.domains import attach_domains, dns_records, domain_status, status_of

API = "https://api.vercel.com"
DOMAINS = f"{API}/v10/projects/prj_1/domains?teamId=team_abc"
TXT = {"type": "TXT", "domain": "_vercel.example.com", "value": "vc-domain-verify=www.example.com,abc123"}
CONFIG_BAD = {
    "misconfigured": True,
    "recommendedIPv4": [{"rank": 2, "value": ["198.51.100.9"]}, {"rank": 1, "value": ["203.0.113.7"]}],
    "recommendedCNAME": [{"rank": 1, "value": "abc.vercel-dns-017.com."}],
}


def config_url(name: str) -> str:
    return f"{API}/v6/domains/{name}/config?teamId=team_abc&projectIdOrName=prj_1"


@pytest.fixture
def api() -> VercelApi:
    fake = FakeTime()
    client = VercelApi("tok_1", sleep=fake.sleep, clock=fake.clock)
    client.scope = {"teamId": "team_abc"}
    return client


def test_a_subdomain_needs_the_best_ranked_cname_and_an_apex_the_a_records() -> None:
    assert dns_records("www.example.com", "example.com", CONFIG_BAD) == [
        DnsRecord("CNAME", "www.example.com", "abc.vercel-dns-017.com.")
    ]
    assert dns_records("example.com", "example.com", CONFIG_BAD) == [
        DnsRecord("A", "example.com", "203.0.113.7")
    ]


def test_an_unverified_misconfigured_domain_lists_the_txt_challenge_and_the_dns_record() -> None:
    domain = {"name": "www.example.com", "apexName": "example.com", "verified": False, "verification": [TXT]}
    status = status_of(domain, CONFIG_BAD)
    assert status.status == "pending"
    assert status.records == (
        DnsRecord("TXT", "_vercel.example.com", TXT["value"]),
        DnsRecord("CNAME", "www.example.com", "abc.vercel-dns-017.com."),
    )


def test_an_unverified_domain_without_a_listed_challenge_says_so() -> None:
    status = status_of({"name": "a.example.com", "verified": False}, {"misconfigured": False})
    assert status.status == "pending" and "did not list the TXT challenge" in status.message


def test_a_verified_well_configured_domain_is_active() -> None:
    assert status_of({"name": "a.example.com", "verified": True}, {"misconfigured": False}).status == "active"


def test_attach_adds_verifies_and_polls_until_active(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    name = "www.example.com"
    unverified = {"name": name, "apexName": "example.com", "verified": False, "verification": [TXT]}
    httpx_mock.add_response(method="POST", url=DOMAINS, match_json={"name": name}, json=unverified)
    verify = f"{API}/v9/projects/prj_1/domains/{name}/verify?teamId=team_abc"
    httpx_mock.add_response(
        method="POST",
        url=verify,
        status_code=400,
        json={"error": {"code": "missing_txt_record", "message": "no"}},
    )
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/prj_1/domains/{name}?teamId=team_abc",
        json={**unverified, "verification": None},
    )
    httpx_mock.add_response(method="GET", url=config_url(name), json=CONFIG_BAD)
    httpx_mock.add_response(method="POST", url=verify, json={**unverified, "verified": True})
    httpx_mock.add_response(method="GET", url=config_url(name), json={"misconfigured": False})
    [status] = attach_domains(api, "prj_1", [name], wait_seconds=60)
    assert status.status == "active" and status.records == ()


def test_a_domain_still_pending_when_the_wait_ends_is_reported_not_raised(
    httpx_mock: HTTPXMock, api: VercelApi
) -> None:
    name = "example.com"
    httpx_mock.add_response(method="POST", url=DOMAINS, json={"name": name, "verified": True})
    httpx_mock.add_response(method="GET", url=config_url(name), json=CONFIG_BAD)
    [status] = attach_domains(api, "prj_1", [name], wait_seconds=0)
    assert status.status == "pending"
    assert status.records == (DnsRecord("A", "example.com", "203.0.113.7"),)


def test_a_domain_already_on_the_project_is_fine(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    name = "example.com"
    httpx_mock.add_response(
        method="POST",
        url=DOMAINS,
        status_code=409,
        json={"error": {"code": "domain_already_in_use", "message": "x"}},
    )
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/prj_1/domains/{name}?teamId=team_abc",
        json={"name": name, "verified": True},
    )
    httpx_mock.add_response(method="GET", url=config_url(name), json={"misconfigured": False})
    [status] = attach_domains(api, "prj_1", [name], wait_seconds=30)
    assert status.status == "active"


def test_a_refused_domain_is_an_error_status(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="POST",
        url=DOMAINS,
        status_code=400,
        json={"error": {"code": "invalid_domain", "message": "bad"}},
    )
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/prj_1/domains/bad..name?teamId=team_abc",
        status_code=404,
        json={},
    )
    [status] = attach_domains(api, "prj_1", ["bad..name"], wait_seconds=30)
    assert status.status == "error" and "invalid_domain" in status.message


def test_domain_status_reads_without_changing_anything(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/prj_1/domains/a.example.com?teamId=team_abc",
        status_code=404,
        json={},
    )
    [status] = domain_status(api, "prj_1", ["a.example.com"])
    assert status.status == "error" and "not attached" in status.message
