"""Nothing leaks: a secret echoed back in any encoding (plain, base64, Basic-auth base64,
URL-encoded), a password inside a URL (``api-url``, health-check URLs, ``HTTPS_PROXY``) and every
health-check header value, whatever the header is called, never reach stdout, stderr, the
outputs, the summary or the comment; the secret headers are sent only to the deployment's own
hosts."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import pytest
from hostile import assert_deployed, assert_input_error, pr_event, run_case, sandbox_secrets

from ci_deploy_sandbox.runtime import Sandbox

PLANTED = "pl4nted+Secret/Value=9f8e7d6c5b4a"
ENCODED: dict[str, Callable[[str], str]] = {
    "plain": lambda s: s,
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "basic-auth": lambda s: base64.b64encode(f"deploy-bot:{s}".encode()).decode(),
    "urlsafe-base64": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "url-encoded": lambda s: quote(s, safe=""),
}
#: where the secret is given: the inputs (and step env) that make it one
SOURCES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "token": ({"token": PLANTED}, {}),
    "github-token": ({"github-token": PLANTED}, {}),
    "env secret": ({"env": "API_KEY: ${DEPLOY_SECRET}"}, {"DEPLOY_SECRET": PLANTED}),
    "authorization header": ({"health-check-headers": f"Authorization: Bearer {PLANTED}"}, {}),
    "header with an innocent name": ({"health-check-headers": f"X-Foo: {PLANTED}"}, {}),
}


@pytest.mark.parametrize("encoding", list(ENCODED))
@pytest.mark.parametrize("source", list(SOURCES))
def test_a_secret_echoed_back_in_any_encoding_is_redacted_everywhere(
    source: str, encoding: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs, env = SOURCES[source]
    echoed = {**inputs, "environment": f"staging-{ENCODED[encoding](PLANTED)}"}
    channels = run_case(sandbox, tmp_path, capsys, echoed, env=env)
    assert_input_error(channels, "input 'environment'", [PLANTED, *sandbox_secrets(sandbox)])
    assert "***" in channels.error_lines[0]


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_health_check_header_with_an_innocent_name_is_masked_in_every_channel(
    platform: str, sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every header value is a secret, whatever the header is called: the branch, shown in the
    PR comment, the summary and the log, carries it here."""
    event = pr_event(head_ref=f"feat/{PLANTED}")
    inputs = {"health-check-headers": f"X-Foo: {PLANTED}"}
    channels = run_case(sandbox, tmp_path, capsys, inputs, platform=platform, event=event)
    assert_deployed(channels, [PLANTED, *sandbox_secrets(sandbox)])
    assert f"::add-mask::{PLANTED}" in channels.result.stdout
    assert "feat/***" in channels.comments[0] and "feat/***" in channels.result.summary


def test_a_header_value_under_four_characters_is_not_masked_so_text_stays_readable(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As for every secret (``redaction.MIN_LENGTH``): hiding "on" would garble every line."""
    channels = run_case(sandbox, tmp_path, capsys, {"health-check-headers": "X-Debug: on"},
                        event=pr_event(head_ref="feat/turn-on"))  # fmt: skip
    assert_deployed(channels, sandbox_secrets(sandbox))
    assert "::add-mask::on" not in channels.result.stdout
    assert "feat/turn-on" in channels.comments[0] and "feat/turn-on" in channels.result.summary


PROXY = {"timeout": "x"}
URL_CASES: list[tuple[str, dict[str, str], dict[str, str], str, str]] = [
    ("api-url password", {"api-url": "ftp://bot:ApiPassw0rd-123@api.example/v4"}, {},
     "api-url", "ApiPassw0rd-123"),
    ("api-url encoded password", {"api-url": "ftp://bot:p%40ssWord-4567@api.example"}, {},
     "api-url", "p@ssWord-4567"),
    ("health-check URL password", {"health-check": "http://bot:HcPassw0rd-888@h.example/ x"}, {},
     "health-check", "HcPassw0rd-888"),
    ("health-check URL password, valid",
     {"health-check": "https://bot:HcPassw0rd-999@h.example/", "timeout": "x"}, {},
     "timeout", "HcPassw0rd-999"),
    ("HTTPS_PROXY password", PROXY, {"HTTPS_PROXY": "http://px:ProxyPassw0rd-1@127.0.0.1:9"},
     "timeout", "ProxyPassw0rd-1"),
    ("http_proxy password", PROXY, {"http_proxy": "http://px:ProxyPassw0rd-2@127.0.0.1:9"},
     "timeout", "ProxyPassw0rd-2"),
    ("protection bypass echoed", {"platform": "vercel", "vercel-protection-bypass": PLANTED,
     "environment": PLANTED}, {}, "environment", PLANTED),
    ("header secret echoed by a bad line", {"health-check-headers": f"X-Api-Key: {PLANTED}\nbroken"}, {},
     "health-check-headers", PLANTED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "env", "named", "secret"), [c[1:] for c in URL_CASES], ids=[c[0] for c in URL_CASES]
)
def test_a_password_inside_a_url_or_header_never_reaches_any_channel(
    inputs: dict[str, str], env: dict[str, str], named: str, secret: str, sandbox: Sandbox,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    channels = run_case(
        sandbox, tmp_path, capsys, inputs, platform=inputs.get("platform", "cloudflare-pages"), env=env
    )
    assert_input_error(channels, f"input '{named}'", [secret, *sandbox_secrets(sandbox)])


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A foreign host (not the deployment's) that records the headers it is sent."""
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/probe", _Recorder.seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("platform", "inputs", "header"),
    [
        ("cloudflare-pages", {"health-check-headers": f"Authorization: Bearer {PLANTED}"}, "authorization"),
        ("vercel", {"vercel-protection-bypass": PLANTED}, "x-vercel-protection-bypass"),
        ("vercel", {"health-check-headers": f"X-Api-Key: {PLANTED}"}, "x-api-key"),
    ],
)
def test_secret_headers_go_only_to_the_deployments_own_hosts(
    platform: str, inputs: dict[str, str], header: str, recorder: tuple[str, list[dict[str, str]]],
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url, seen = recorder
    given = {**inputs, "health-check": f"/\n{url}"}
    channels = run_case(sandbox, tmp_path, capsys, given, platform=platform)
    assert_deployed(channels, [PLANTED, *sandbox_secrets(sandbox)])
    assert seen and all(header not in headers for headers in seen)


def test_a_deploy_through_a_proxy_with_a_password_never_shows_it(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "HTTPS_PROXY": "http://px:ProxyPassw0rd-3@127.0.0.1:9",
        "NO_PROXY": "localhost,127.0.0.1,.localhost",
    }
    channels = run_case(sandbox, tmp_path, capsys, env=env)
    assert_deployed(channels, ["ProxyPassw0rd-3", *sandbox_secrets(sandbox)])
