"""Settings from inputs and env vars: defaults, parsed values, env fallbacks, secrets.

Bad inputs are in test_config_bad_inputs.py; the input declarations (action.yml, CLI flags, the
contract's list) in test_config_inputs.py.
"""

from __future__ import annotations

import io

import pytest

from ci_deploy import redaction, runner
from ci_deploy.config.settings import Settings, settings_from_inputs
from ci_deploy.config.values import HealthExpect
from ci_deploy.errors import InputError

BASE = {"platform": "cloudflare-pages", "project": "web"}


@pytest.fixture(autouse=True)
def _no_secrets() -> None:
    redaction.forget_all()


def settings(environ: dict[str, str] | None = None, **inputs: str) -> Settings:
    given = {**BASE, **{name.replace("_", "-"): value for name, value in inputs.items()}}
    return settings_from_inputs(given, environ or {})


def test_defaults_follow_the_contract() -> None:
    s = settings()
    assert (s.platform, s.project, s.artifact, s.working_directory) == (
        "cloudflare-pages",
        "web",
        "dist",
        ".",
    )
    assert (s.environment, s.command, s.on_health_failure, s.env_required) == (
        "auto",
        "deploy",
        "rollback",
        "auto",
    )
    assert s.create_project and s.comment and s.github_deployment and s.wait and s.cleanup and not s.dry_run
    assert (s.timeout, s.health_check_timeout) == (600.0, 120.0)
    assert s.health_check == ["/"]
    assert s.health_check_expect == HealthExpect(ranges=((200, 399),), text=None)
    assert s.comment_key == "cloudflare-pages/web"
    assert s.token == "" and s.api_url is None and s.domains == []


SPELLINGS = [("true", True), ("YES", True), ("On", True), ("1", True)]
SPELLINGS += [("false", False), ("no", False), ("OFF", False), ("0", False)]


@pytest.mark.parametrize(("raw", "expected"), SPELLINGS)
def test_booleans_accept_the_usual_spellings(raw: str, expected: bool) -> None:
    assert settings(wait=raw).wait is expected


def test_typed_values_are_parsed() -> None:
    s = settings(
        timeout="90s",
        pr_number="#42",
        domains="WWW.Example.com, api.example.com\nwww.example.com.",
        health_check="/\n/api/health\nhttps://status.example.com/ping",
        health_check_expect="200,204\n3xx\ntext: ok {{sha}}",
        health_check_headers="Authorization: Bearer abc\nX-Test: a: b",
        health_check_max_latency_ms="250",
        env_required="API_KEY, DB_URL\nAPI_KEY",
        api_url="http://api.localhost:8787/client/v4/",
        branch="refs/heads/feature/x",
        production_branch="trunk",
    )
    assert s.timeout == 90.0 and s.pr_number == 42
    assert s.domains == ["www.example.com", "api.example.com"]
    assert s.health_check == ["/", "/api/health", "https://status.example.com/ping"]
    assert s.health_check_expect == HealthExpect(
        ranges=((200, 200), (204, 204), (300, 399)), text="ok {{sha}}"
    )
    assert s.health_check_expect.accepts_status(204) and not s.health_check_expect.accepts_status(404)
    assert s.health_check_headers == {"Authorization": "Bearer abc", "X-Test": "a: b"}
    assert s.health_check_max_latency_ms == 250.0
    assert s.env_required == ("API_KEY", "DB_URL")
    assert s.api_url == "http://api.localhost:8787/client/v4"
    assert (s.branch, s.production_branch) == ("feature/x", "trunk")


def test_health_check_false_means_no_checks() -> None:
    assert settings(health_check="false").health_check == []


def test_cloudflare_falls_back_to_its_env_vars() -> None:
    environ = {
        "CLOUDFLARE_API_TOKEN": "cf-token-123",
        "CLOUDFLARE_ACCOUNT_ID": "acc1",
        "CLOUDFLARE_API_BASE_URL": "http://cf.localhost/client/v4",
        "GITHUB_TOKEN": "ghs_abc123",
        "VERCEL_TOKEN": "not-this-one",
    }
    s = settings(environ)
    assert (s.token, s.account, s.api_url, s.github_token) == (
        "cf-token-123", "acc1", "http://cf.localhost/client/v4", "ghs_abc123",
    )  # fmt: skip


def test_vercel_falls_back_to_its_env_vars_including_the_project() -> None:
    environ = {"VERCEL_TOKEN": "vt_123456", "VERCEL_ORG_ID": "team_1", "VERCEL_PROJECT_ID": "prj_abc"}
    s = settings_from_inputs({"platform": "vercel"}, environ)
    assert (s.token, s.account, s.project) == ("vt_123456", "team_1", "prj_abc")


def test_an_input_wins_over_the_env_var() -> None:
    s = settings({"CLOUDFLARE_API_TOKEN": "from-env-1"}, token="from-input-1")
    assert s.token == "from-input-1"


def test_secrets_are_registered_and_never_in_repr() -> None:
    s = settings(
        {"GITHUB_TOKEN": "ghs_secret_value"},
        token="cf_secret_value",
        vercel_protection_bypass="bypass-secret",
    )
    text = repr(s) + str(s)
    for secret in ("cf_secret_value", "ghs_secret_value", "bypass-secret"):
        assert secret not in text
        assert redaction.redact(f"x {secret} y") == "x *** y"


def test_require_token_says_where_to_put_one_in_the_words_of_actions_or_of_the_command_line() -> None:
    runner.use(runner.Runner(environ={"GITHUB_ACTIONS": "true"}, out=io.StringIO(), err=io.StringIO()))
    try:
        with pytest.raises(InputError) as in_actions:
            settings().require_token()
    finally:
        runner.use(runner.Runner(environ={}, out=io.StringIO(), err=io.StringIO()))
    try:
        with pytest.raises(InputError) as local:
            settings().require_token()
    finally:
        runner.use(None)
    assert str(in_actions.value) == (
        "input 'token': no platform API token: set CLOUDFLARE_API_TOKEN in the step's env or pass "
        "token: ${{ secrets.CLOUDFLARE_API_TOKEN }}"
    )
    assert (
        str(local.value)
        == "input 'token': no platform API token: export CLOUDFLARE_API_TOKEN=… or pass --token"
    )
    assert settings(token="abcd1234").require_token() == "abcd1234"


def test_github_environment_defaults_by_target() -> None:
    assert settings().github_environment_for("preview") == "Preview"
    assert settings(github_environment="Docs").github_environment_for("production") == "Docs"
