"""Bad inputs: each is one line naming the input and the fix, exit code 2, and never a secret.

The bad-input catalogue takes `httpx_mock`: its teardown fails a test that made any HTTP request.
"""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy import redaction
from ci_deploy.config.settings import Settings, settings_from_inputs
from ci_deploy.errors import InputError

BASE = {"platform": "cloudflare-pages", "project": "web"}


@pytest.fixture(autouse=True)
def _no_secrets() -> None:
    redaction.forget_all()


def settings(environ: dict[str, str] | None = None, **inputs: str) -> Settings:
    given = {**BASE, **{name.replace("_", "-"): value for name, value in inputs.items()}}
    return settings_from_inputs(given, environ or {})


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
    ({"api-url": "http://[::1/client/v4"}, "api-url", "does not parse as a URL"),
    ({"api-url": "http://127.0.0.1:99999/client/v4"}, "api-url", "port is not a number from 1 to 65535"),
    ({"api-url": "http://api.exa mple.com/v4"}, "api-url", "host is no valid host name or IP address"),
    ({"api-url": "https://api.example.com/v4?x=1"}, "api-url", "takes no '?' query or '#' fragment"),
    ({"sentry-url": "https://sentry.example.com/#org"}, "sentry-url", "takes no '?' query or '#' fragment"),
    ({"notify-webhook": "https://hooks.example.com:0/T0/secret"}, "notify-webhook", "port is not a number"),
    ({"health-check": "http://exa mple.com/"}, "health-check", "one path or URL per line"),
    ({"health-check": "/up\x1b[31m"}, "health-check", "one path or URL per line"),
    ({"health-check": "https://example.com:70000/up"}, "health-check", "expected a path starting with '/'"),
    ({"branch": "feature branch"}, "branch", "expected a branch name"),
    ({"branch": "a..b"}, "branch", "expected a branch name"),
    ({"production-branch": "main~1"}, "production-branch", "expected a branch name"),
    ({"comment-key": "a --> b"}, "comment-key", "must not contain '--'"),
    ({"comment-key": "web\x00x"}, "comment-key", "without control characters"),
    ({"github-environment": "prod\x1b[31m"}, "github-environment", "without control characters"),
    ({"github-environment": "prod\u2028::error::x"}, "github-environment", "without control characters"),
    ({"github-environment": "prod\x85x"}, "github-environment", "without control characters"),
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


@pytest.mark.parametrize(
    "url",
    [
        "https://api.cloudflare.com/client/v4/",
        "http://127.0.0.1:8787",
        "http://[::1]:8787/v1",
        "http://sandbox_api.internal/v1",
        "https://bücher.example/api",
        "https://proxy-user:proxy-pass@api.vercel.com",
    ],
)
def test_an_api_url_a_request_can_go_to_is_accepted(url: str) -> None:
    assert settings(api_url=url).api_url == url.rstrip("/")
