"""Fault injection: the string and JSON forms, which requests a fault fires on, and what each
kind does on the wire (handler skipped, or run and then the connection dropped)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from ci_deploy_sandbox.app import ApiEmulator, Request, Response
from ci_deploy_sandbox.faults import HOSTILE_TEXT, Fault, FaultPlan, status_response
from ci_deploy_sandbox.runtime import Sandbox

FakeApis = Sequence[type[ApiEmulator]]


def test_parse_reads_kind_value_endpoint_and_options() -> None:
    fault = Fault.parse("status=429@cloudflare.assets.upload,count=2,retry_after=3")
    assert (fault.kind, fault.status, fault.endpoint, fault.count, fault.retry_after) == (
        "status",
        429,
        "cloudflare.assets.upload",
        2,
        3,
    )
    assert (Fault.parse("latency=100").kind, Fault.parse("latency=100").ms) == ("latency", 100)
    assert Fault.parse("reset-after@vercel.*").endpoint == "vercel.*"


@pytest.mark.parametrize(
    "spec", ["status=200", "status=503,rate=2", "status=503,color=red", "status=abc", "reset,count=-1"]
)
def test_parse_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        Fault.parse(spec)


def test_unknown_kinds_are_refused_until_an_api_declares_them() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.add(Fault("expired-token"))
    plan.kinds.add("expired-token")
    assert plan.add(Fault("expired-token")).id == 1


def test_a_counted_fault_fires_for_the_next_n_matching_requests_only() -> None:
    plan = FaultPlan([Fault("reset", endpoint="cloudflare.*", count=2)])
    assert plan.take("vercel.files.upload") is None
    assert [plan.take("cloudflare.assets.upload") is not None for _ in range(3)] == [True, True, False]
    assert plan.active() == []


def test_a_rated_fault_is_reproducible_with_the_same_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        plan = FaultPlan([Fault("status", rate=0.5)], seed=seed)
        return [plan.take("x") is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert True in pattern(7) and False in pattern(7)


def test_latency_faults_add_up_and_do_not_replace_the_handler() -> None:
    plan = FaultPlan([Fault("latency", ms=100), Fault("latency", endpoint="vercel.*", ms=50)])
    assert plan.latency_ms("vercel.files.upload") == 150
    assert plan.latency_ms("cloudflare.x") == 100
    assert plan.take("cloudflare.x") is None


def test_status_response_uses_the_api_envelope_or_a_gateway_page() -> None:
    request = Request.build("GET", "/", {})

    def envelope(request: Request, status: int, message: str) -> Response:
        return Response.json({"errors": [message]}, status)

    throttled = status_response(Fault("status", status=429, retry_after=7), request, envelope)
    assert (throttled.status, throttled.header("retry-after")) == (429, "7")
    assert b"errors" in throttled.body
    gateway = status_response(Fault("status", status=502, body="html"), request, envelope)
    assert gateway.header("content-type") == "text/html; charset=utf-8"
    assert b"502 Bad Gateway" in gateway.body


def test_a_hostile_status_answers_a_broken_apis_megabyte_in_the_envelope_or_a_pages_title() -> None:
    request = Request.build("GET", "/", {})

    def envelope(request: Request, status: int, message: str) -> Response:
        return Response.json({"errors": [message]}, status)

    hostile = status_response(Fault.parse("status=400,body=hostile"), request, envelope)
    assert hostile.status == 400 and json.loads(hostile.body) == {"errors": [HOSTILE_TEXT]}
    assert len(HOSTILE_TEXT) > 1024 * 1024 and "\x1b[31m" in HOSTILE_TEXT and "\n::set-output" in HOSTILE_TEXT
    page = status_response(Fault.parse("status=502,body=hostile-html"), request, envelope)
    assert page.header("content-type") == "text/html; charset=utf-8" and len(page.body) > 1024 * 1024
    assert page.body.decode().startswith(f"<!DOCTYPE html>\n<html><head><title>{HOSTILE_TEXT[:300]}</title>")
    with pytest.raises(ValueError, match="body must be one of json, html, hostile, hostile-html"):
        Fault.parse("status=500,body=xml")


def test_injected_status_replaces_the_handler(core_client: httpx.Client, core_sandbox: Sandbox) -> None:
    core_sandbox.inject("status=503@cloudflare.items.create,count=1")
    failed = core_client.post("/client/v4/items", json={"n": 1})
    assert failed.status_code == 503
    assert failed.json()["success"] is False
    assert failed.headers["retry-after"] == "1"
    assert core_client.get("/client/v4/items").json()["result"] == []
    assert core_sandbox.log()[0].fault == "status"


def test_reset_drops_the_connection_without_running_the_handler(
    core_client: httpx.Client, core_sandbox: Sandbox
) -> None:
    core_sandbox.inject({"kind": "reset", "endpoint": "cloudflare.items.create", "count": 1})
    with pytest.raises(httpx.TransportError):
        core_client.post("/client/v4/items", json={"n": 1})
    assert core_client.get("/client/v4/items").json()["result"] == []
    assert core_sandbox.log()[0].status is None


def test_reset_after_runs_the_handler_then_drops_the_answer(
    core_client: httpx.Client, core_sandbox: Sandbox
) -> None:
    core_sandbox.inject("reset-after@cloudflare.items.create,count=1")
    with pytest.raises(httpx.TransportError):
        core_client.post("/client/v4/items", json={"n": 1})
    assert core_client.get("/client/v4/items").json()["result"] == [{"n": 1}]


def test_timeout_holds_then_closes_without_an_answer(tmp_path: Path, fake_apis: FakeApis) -> None:
    slept: list[float] = []
    with Sandbox(tmp_path, apis=fake_apis, faults=["timeout=2500@cloudflare.items.list"]) as sandbox:
        sandbox.world.sleep = slept.append
        with httpx.Client(base_url=sandbox.origin) as client, pytest.raises(httpx.TransportError):
            client.get("/client/v4/items")
    assert slept == [2.5]


def test_latency_is_applied_before_the_answer(tmp_path: Path, fake_apis: FakeApis) -> None:
    slept: list[float] = []
    with Sandbox(tmp_path, apis=fake_apis, faults=["latency=100"]) as sandbox:
        sandbox.world.sleep = slept.append
        with httpx.Client(base_url=sandbox.origin) as client:
            assert client.get("/client/v4/items").status_code == 200
            client.get("/_sandbox/health")
    assert slept == [0.1]


def test_an_api_kind_answers_with_the_apis_own_response(
    core_client: httpx.Client, core_sandbox: Sandbox
) -> None:
    core_sandbox.inject("expired-token@cloudflare.*,count=1")
    response = core_client.get("/client/v4/items")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == 8000013


def test_faults_are_switched_at_run_time_over_http(core_client: httpx.Client) -> None:
    added = core_client.post(
        "/_sandbox/faults", json={"kind": "status", "status": 500, "endpoint": "cloudflare.*"}
    )
    assert added.json()["faults"][0]["status"] == 500
    assert core_client.get("/client/v4/items").status_code == 500
    assert core_client.get("/client/v4/items").status_code == 500
    assert core_client.delete("/_sandbox/faults").json() == {"faults": []}
    assert core_client.get("/client/v4/items").status_code == 200


def test_bad_faults_over_http_are_a_400_naming_the_problem(core_client: httpx.Client) -> None:
    response = core_client.post("/_sandbox/faults", json={"kind": "melt"})
    assert response.status_code == 400
    assert "unknown fault kind" in response.json()["error"]["message"]


def test_an_api_kind_is_not_spent_on_another_apis_endpoints(
    core_client: httpx.Client, core_sandbox: Sandbox
) -> None:
    core_sandbox.inject("expired-token,count=1")
    assert core_client.get("/api/v3/meta").status_code == 200
    assert core_client.get("/client/v4/items").status_code == 401
