"""The pure parts of what happens after the deploy: parsing the inputs, the webhook signature,
the Slack message, percentiles and the performance table."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ci_deploy.config.observe import (
    WatchThreshold,
    parse_duration,
    parse_secret_url,
    parse_watch_threshold,
    secret_url_parts,
)
from ci_deploy.config.values import InvalidValue
from ci_deploy.health.checks import percentile
from ci_deploy.observe.notify import DeployEvent, event_body, signature, slack_payload
from ci_deploy.report.perf import PerfFacts, PerfRow, perf_table

EVENT = DeployEvent(
    event="deploy.rolled_back", platform="vercel", project="shop", environment="production",
    url="https://shop.example.com", deployment_id="dpl_1", commit="a" * 40, branch="main", pr=None,
    run_url="https://github.com/acme/shop/actions/runs/1", error="error watch: <b>2 new issues</b>",
    rolled_back_to="dpl_0",
)  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "seconds"), [("5m", 300), ("90s", 90), ("1m30s", 90), ("45", 45), ("off", None)]
)
def test_durations_read_as_seconds_and_off_means_none(raw: str, seconds: float | None) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize("raw", ["soon", "m", "-5m", "7h"])
def test_a_bad_duration_names_the_forms_it_takes(raw: str) -> None:
    with pytest.raises(InvalidValue, match="duration"):
        parse_duration(raw)


def test_a_threshold_takes_new_issues_and_a_crash_free_rate() -> None:
    assert parse_watch_threshold("new-issues=2, crash-free=99.5%") == WatchThreshold(2, 99.5)
    assert parse_watch_threshold("crash-free=98") == WatchThreshold(None, 98.0)
    with pytest.raises(InvalidValue):
        parse_watch_threshold("errors>3")


def test_a_secret_url_is_never_echoed_and_its_token_parts_are_masked_too() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_secret_url("hooks.slack.com/services/T0/B0/secret123")
    assert "secret123" not in str(caught.value)
    assert secret_url_parts("https://hooks.example/p/tok?key=k1") == ["/p/tok", "key=k1"]


def test_the_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    body = event_body(EVENT)
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature("s3cret", body) == f"sha256={expected}"
    assert b'"event":"deploy.rolled_back"' in body and b'"pr":null' in body


def test_the_slack_message_has_a_text_line_and_escaped_blocks() -> None:
    payload = slack_payload(EVENT)
    assert payload["text"].startswith("↩️ Deploy rolled back: shop (production)")
    facts = payload["blocks"][1]["text"]["text"]
    assert "&lt;b&gt;2 new issues&lt;/b&gt;" in facts and "`dpl_0`" in facts


def test_p95_of_few_samples_is_the_slowest_and_never_interpolated() -> None:
    assert percentile([10.0, 30.0, 20.0], 95) == 30.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0


def test_the_perf_table_shows_the_change_against_the_previous_deployment() -> None:
    row = PerfRow("/", 3, 10, 14, 20, 25, 512, "gzip", (("cf-cache-status", "HIT"),), 20.0)
    lines = perf_table(PerfFacts((row,), compared_with="dpl_0", budget_ms=50))
    assert lines[0] == "Performance (ms: median / p95), budget p95 first byte 50 ms; compared with `dpl_0`"
    assert lines[-1] == "| `/` | 10 / 14 | 20 / 25 | 512 | gzip | cf-cache-status: HIT | -6 ms (was 20) |"
