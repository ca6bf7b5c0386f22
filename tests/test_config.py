"""Settings from inputs, flags and env vars; one line per bad input; action.yml kept in sync.

The bad-input catalogues take `httpx_mock`: its teardown fails a test that made any HTTP request.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
import yaml
from pytest_httpx import HTTPXMock

from ci_deploy import redaction, runner
from ci_deploy.config.inputs import INPUTS, OUTPUTS, add_cli_arguments, inputs_from_cli, read_action_inputs
from ci_deploy.config.settings import Settings, settings_from_inputs
from ci_deploy.config.values import HealthExpect
from ci_deploy.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
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


BAD_INPUTS: list[tuple[dict[str, str], str, str]] = [
    ({"platform": ""}, "platform", "required"),
    ({"platform": "netlify"}, "platform", "expected one of cloudflare-pages, vercel, got 'netlify'"),
    ({"project": ""}, "project", "required"),
    ({"project": "my project"}, "project", "expected a project name"),
    ({"timeout": "soon"}, "timeout", "expected seconds, got 'soon'"),
    ({"timeout": "-5"}, "timeout", "positive"),
    ({"timeout": "0"}, "timeout", "positive"),
    ({"timeout": "99999"}, "timeout", "at most 21600"),
    ({"health-check-timeout": "soon"}, "health-check-timeout", "expected seconds, got 'soon'"),
    ({"health-check-timeout": "nan"}, "health-check-timeout", "positive"),
    ({"wait": "maybe"}, "wait", "expected true or false, got 'maybe'"),
    ({"dry-run": "2"}, "dry-run", "expected true or false"),
    ({"create-project": "sure"}, "create-project", "expected true or false"),
    ({"comment": "y"}, "comment", "expected true or false"),
    ({"cleanup": "never"}, "cleanup", "expected true or false"),
    ({"github-deployment": "enabled"}, "github-deployment", "expected true or false"),
    ({"environment": "staging"}, "environment", "expected one of auto, preview, production, got 'staging'"),
    ({"command": "destroy"}, "command", "expected one of deploy, cleanup, promote, rollback"),
    ({"on-health-failure": "ignore"}, "on-health-failure", "expected one of rollback, fail, warn"),
    ({"pr-number": "abc"}, "pr-number", "expected a positive whole number, got 'abc'"),
    ({"pr-number": "0"}, "pr-number", "expected a positive whole number"),
    ({"domains": "https://example.com"}, "domains", "without scheme"),
    ({"domains": "localhost"}, "domains", "expected a host name"),
    ({"domains": "bad_host.example.com"}, "domains", "expected a host name"),
    ({"preview-domain": "pr-{{number}}.example.com"}, "preview-domain", "unknown placeholder {{number}}"),
    ({"preview-domain": "pr-{{pr}.example.com"}, "preview-domain", "unbalanced"),
    ({"health-check": "health"}, "health-check", "expected a path starting with '/'"),
    ({"health-check": "/a /b"}, "health-check", "one path or URL per line"),
    ({"health-check-expect": "ok"}, "health-check-expect", "expected status codes"),
    ({"health-check-expect": "200-700"}, "health-check-expect", "between 100 and 599"),
    ({"health-check-expect": "399-200"}, "health-check-expect", "between 100 and 599"),
    ({"health-check-expect": "200\ntext: {{commit}}"}, "health-check-expect", "unknown placeholder"),
    ({"health-check-headers": "no colon here"}, "health-check-headers", "line 1 is not 'Name: value'"),
    ({"health-check-headers": "Bad Header: x"}, "health-check-headers", "line 1 is not 'Name: value'"),
    ({"health-check-max-latency-ms": "fast"}, "health-check-max-latency-ms", "expected milliseconds"),
    ({"env-required": "API-KEY"}, "env-required", "is not a variable name"),
    ({"api-url": "ftp://example.com"}, "api-url", "expected an http(s) URL"),
    ({"api-url": "localhost:8787"}, "api-url", "expected an http(s) URL"),
    ({"branch": "feature branch"}, "branch", "expected a branch name"),
    ({"branch": "a..b"}, "branch", "expected a branch name"),
    ({"production-branch": "main~1"}, "production-branch", "expected a branch name"),
    ({"comment-key": "a --> b"}, "comment-key", "must not contain '--'"),
    ({"command": "promote"}, "deployment-id", "required by command 'promote'"),
    ({"no-such-input": "x"}, "no-such-input", "unknown input"),
]


@pytest.mark.parametrize(
    ("inputs", "name", "reason"), BAD_INPUTS, ids=[f"{n}:{r[:20]}" for _, n, r in BAD_INPUTS]
)
def test_each_bad_input_is_one_line_naming_the_input(
    inputs: dict[str, str], name: str, reason: str, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(InputError) as caught:
        settings_from_inputs({**BASE, **inputs}, {})
    message = str(caught.value)
    assert message.startswith(f"input '{name}': "), message
    assert reason in message
    assert "\n" not in message and "pydantic" not in message.lower() and "validation error" not in message
    assert caught.value.exit_code == 2 and caught.value.input_name == name


def test_several_bad_inputs_give_the_first_and_list_the_rest_as_details() -> None:
    with pytest.raises(InputError) as caught:
        settings(wait="maybe", timeout="soon")
    assert str(caught.value).count("\n") == 0
    assert "input 'timeout'" in caught.value.details or "input 'wait'" in caught.value.details


def test_a_secret_never_appears_in_an_error() -> None:
    with pytest.raises(InputError) as caught:
        settings(
            token="super-secret-token", timeout="soon", health_check_headers="Authorization Bearer leak1234"
        )
    assert "super-secret-token" not in str(caught.value) + caught.value.details
    assert "leak1234" not in str(caught.value) + caught.value.details


def test_read_action_inputs_uses_hyphenated_variables() -> None:
    environ = {
        "INPUT_PLATFORM": " vercel ",
        "INPUT_HEALTH-CHECK-TIMEOUT": "30",
        "INPUT_HEALTH_CHECK_TIMEOUT": "99",
    }
    inputs = read_action_inputs(environ)
    assert set(inputs) == set(INPUTS)
    assert inputs["platform"] == "vercel" and inputs["health-check-timeout"] == "30" and inputs["token"] == ""


def test_cli_flags_become_inputs() -> None:
    parser = argparse.ArgumentParser()
    add_cli_arguments(parser)
    namespace = parser.parse_args(
        [
            "--platform",
            "vercel",
            "--no-wait",
            "--dry-run",
            "--domains",
            "a.example.com",
            "--domains",
            "b.example.com",
        ]
    )
    assert inputs_from_cli(namespace) == {
        "platform": "vercel",
        "wait": "false",
        "dry-run": "true",
        "domains": "a.example.com\nb.example.com",
    }


def test_cli_flags_for_a_subset_of_inputs() -> None:
    parser = argparse.ArgumentParser()
    add_cli_arguments(parser, ["platform", "project"])
    assert inputs_from_cli(parser.parse_args(["--project", "web"])) == {"project": "web"}


def test_every_input_is_a_settings_field() -> None:
    fields = {info.alias or name for name, info in Settings.model_fields.items()}
    assert fields == set(INPUTS)


def test_action_yml_declares_every_input_and_output_as_inputs_py_does() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert list(action["inputs"]) == list(INPUTS)
    for name, spec in INPUTS.items():
        declared = action["inputs"][name]
        assert declared["description"] == spec.description, name
        assert declared["required"] is spec.required, name
        expected_default = spec.action_default if spec.action_default is not None else spec.default
        assert declared.get("default", "") == expected_default, name
    assert {name: value["description"] for name, value in action["outputs"].items()} == OUTPUTS
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_the_contracts_inputs_and_outputs_are_all_declared() -> None:
    contract = """
        platform token account project create-project artifact working-directory artifact-name environment
        production-branch branch pr-number domains domains-timeout preview-domain env env-file env-required
        github-token
        comment comment-key github-deployment github-environment wait timeout health-check
        health-check-expect health-check-timeout health-check-headers health-check-max-latency-ms
        vercel-protection-bypass on-health-failure perf-budget-ms sentry-org sentry-project sentry-token
        sentry-url sentry-release-prefix error-watch error-watch-threshold notify-webhook
        notify-webhook-secret notify-slack-webhook cleanup command deployment-id dry-run api-url
    """
    assert list(INPUTS) == contract.split()
    outputs = """
        url deployment-url alias-url deployment-id inspect-url deployed environment health rolled-back-to
        comment-id github-deployment-id domains
    """
    assert list(OUTPUTS) == outputs.split()
    assert [name for name, spec in INPUTS.items() if spec.secret] == [
        "token",
        "github-token",
        "vercel-protection-bypass",
        "sentry-token",
        "notify-webhook",
        "notify-webhook-secret",
        "notify-slack-webhook",
    ]
