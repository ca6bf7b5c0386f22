"""The conformance runs' contract check reads the sandbox's own log: it names an undocumented
call, judges answers by the descriptions, and leaves out what a test injected."""

from __future__ import annotations

import httpx
from sandbox_traffic import logged_exchanges, traffic_report

from ci_deploy_sandbox.runtime import Sandbox


def test_an_undocumented_call_is_reported_by_name() -> None:
    with Sandbox() as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.env()['VERCEL_TOKEN']}"}
        httpx.get(f"{sandbox.vercel_api_url}/v99/nothing", headers=headers)
        assert traffic_report(sandbox) == ["undocumented: vercel GET /v99/nothing"]


def test_documented_answers_pass_and_carry_their_bodies() -> None:
    with Sandbox() as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.env()['VERCEL_TOKEN']}"}
        httpx.get(f"{sandbox.vercel_api_url}/v2/user", headers=headers)
        [exchange] = logged_exchanges(sandbox)
        assert exchange.status == 200 and exchange.response_body and b'"username"' in exchange.response_body
        assert traffic_report(sandbox) == []


def test_an_injected_fault_is_not_held_against_the_sandbox() -> None:
    with Sandbox() as sandbox:
        sandbox.inject({"kind": "status", "status": 599, "endpoint": "vercel.*"})
        headers = {"Authorization": f"Bearer {sandbox.env()['VERCEL_TOKEN']}"}
        httpx.get(f"{sandbox.vercel_api_url}/v2/user", headers=headers)
        assert logged_exchanges(sandbox) == [] and traffic_report(sandbox) == []
