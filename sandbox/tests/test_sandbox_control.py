"""The ``/_sandbox`` control API: health, request log with ``since``, counters and their reset,
settings, faults, and the served sites."""

from __future__ import annotations

import json

import httpx

from ci_deploy_sandbox.control import BODY_LIMIT, Counters, LogEntry, RequestLog, json_text
from ci_deploy_sandbox.runtime import Sandbox


def entry(path: str) -> LogEntry:
    return LogEntry("GET", path, "127.0.0.1", "x", 200, 0, 0, 1.0, None)


def test_the_log_numbers_entries_and_keeps_only_the_newest() -> None:
    log = RequestLog(capacity=2)
    for path in ("/a", "/b", "/c"):
        log.append(entry(path))
    assert [(e.seq, e.path) for e in log.since(0)] == [(2, "/b"), (3, "/c")]
    assert [e.path for e in log.since(2)] == ["/c"]
    assert log.last == 3


def test_the_log_keeps_bodies_of_the_newest_entries_only() -> None:
    log = RequestLog(capacity=10, body_capacity=2)
    for path in ("/a", "/b", "/c"):
        log.append(LogEntry("GET", path, "h", "x", 200, 0, 0, 1.0, None, response_body='{"ok":1}'))
    assert [(e.path, e.response_body) for e in log.since(0)] == [
        ("/a", None),
        ("/b", '{"ok":1}'),
        ("/c", '{"ok":1}'),
    ]


def test_only_small_json_bodies_are_kept_as_text() -> None:
    assert json_text("application/json; charset=utf-8", b'{"a":1}') == '{"a":1}'
    assert json_text("text/html", b"<p>") is None
    assert json_text("application/json", b"[" + b"0," * BODY_LIMIT + b"0]") is None


def test_counters_merge_api_counters_with_request_totals() -> None:
    counters = Counters()
    counters.request("vercel.files.upload", 10, 2, None)
    counters.request("vercel.files.upload", 5, 2, "status")
    counters.add("files_uploaded", 2)
    assert counters.snapshot() == {
        "files_uploaded": 2,
        "requests": 2,
        "bytes_in": 15,
        "bytes_out": 4,
        "faults": 1,
        "endpoints": {"vercel.files.upload": 2},
    }


def test_health_lists_the_apis(core_client: httpx.Client, core_sandbox: Sandbox) -> None:
    assert core_client.get("/_sandbox/health").json() == {
        "ok": True,
        "port": core_sandbox.port,
        "apis": ["cloudflare", "github"],
    }


def test_log_over_http_returns_news_since_a_sequence_number(core_client: httpx.Client) -> None:
    core_client.get("/client/v4/items")
    first = core_client.get("/_sandbox/log").json()
    assert [e["endpoint"] for e in first["entries"]] == ["cloudflare.items.list"]
    core_client.post("/client/v4/items", json={})
    news = core_client.get("/_sandbox/log", params={"since": first["last"]}).json()
    assert [(e["method"], e["path"], e["status"]) for e in news["entries"]] == [
        ("POST", "/client/v4/items", 200)
    ]
    assert core_client.get("/_sandbox/log", params={"since": "x"}).status_code == 400


def test_log_bodies_come_only_when_asked_for(core_client: httpx.Client) -> None:
    core_client.post("/client/v4/items", json={"name": "kept"})
    plain = core_client.get("/_sandbox/log").json()["entries"][-1]
    assert "request_body" not in plain and plain["request_type"] == "application/json"
    full = core_client.get("/_sandbox/log", params={"bodies": "1"}).json()["entries"][-1]
    assert json.loads(full["request_body"]) == {"name": "kept"}
    assert full["response_type"].startswith("application/json") and json.loads(full["response_body"])


def test_counters_reset_over_http(core_client: httpx.Client) -> None:
    core_client.post("/client/v4/echo", content=b"abc")
    assert core_client.get("/_sandbox/counters").json()["bytes_uploaded"] == 3
    reset = core_client.post("/_sandbox/reset-counters").json()
    assert (reset["requests"], reset["endpoints"], "bytes_uploaded" in reset) == (0, {}, False)


def test_settings_merge_and_null_removes(core_client: httpx.Client, core_sandbox: Sandbox) -> None:
    core_client.post("/_sandbox/settings", json={"vercel.build_delay_ms": 2000, "x": 1})
    assert core_sandbox.world.setting("vercel.build_delay_ms") == 2000
    assert core_client.post("/_sandbox/settings", json={"x": None}).json() == {"vercel.build_delay_ms": 2000}
    assert core_client.post("/_sandbox/settings", json=[1]).status_code == 400


def test_faults_accept_a_list_a_spec_and_a_seed(core_client: httpx.Client) -> None:
    body = [{"spec": "status=429@cloudflare.*,count=1"}, {"seed": 3}, {"kind": "reset", "rate": 0.5}]
    faults = core_client.post("/_sandbox/faults", json=body).json()["faults"]
    assert [(f["kind"], f["count"], f["rate"]) for f in faults] == [("status", 1, 1.0), ("reset", None, 0.5)]
    assert [f["kind"] for f in core_client.get("/_sandbox/faults").json()["faults"]] == ["status", "reset"]


def test_sites_lists_every_served_host(core_client: httpx.Client) -> None:
    core_client.post("/client/v4/sites/a.pages.localhost", json={"id": "dep-a", "files": {}})
    assert core_client.get("/_sandbox/sites").json()["sites"] == {"a.pages.localhost": "dep-a"}


def test_unknown_control_routes_are_404(core_client: httpx.Client) -> None:
    assert core_client.get("/_sandbox/nothing").status_code == 404
