"""How a health check's requests travel: redirects within and out of the site, the protection
bypass header (sent, never logged or reported), ``*.localhost``, proxies and CA settings from the
environment. Scripted servers on 127.0.0.1 play the site, the proxy and the TLS endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from health_harness import SECRET, run, without_network_env
from scripted_server import Reply, Seen, Serve, Server, ok, scripted_servers, self_signed_tls

from ci_deploy import redaction
from ci_deploy.health.checks import HealthSpec, failure_error
from ci_deploy.platforms.base import HealthHints


@pytest.fixture
def serve() -> Iterator[Serve]:
    with scripted_servers() as start:
        yield start


@pytest.fixture(autouse=True)
def clean_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    without_network_env(monkeypatch)


def test_redirect_within_the_site_is_followed_with_the_headers(serve: Serve) -> None:
    def script(seen: Seen, n: int) -> Reply:
        return (302, {"Location": "/home"}, b"") if seen.path == "/" else ok(b"home sweet home")

    server = serve(script)

    result = run(HealthSpec(server.url, ("/",), text="sweet", headers={"X-Check": "yes"}))

    assert result.passed and result.checks[0].status == 200
    assert [seen.path for seen in server.seen[:2]] == ["/", "/home"]
    assert all(seen.headers["x-check"] == "yes" for seen in server.seen)


def test_a_redirect_loop_within_the_site_is_reported(serve: Serve) -> None:
    server = serve(lambda seen, n: (307, {"Location": "/a" if seen.path == "/b" else "b"}, b""))

    result = run(HealthSpec(server.url, ("/",), timeout=0))

    assert result.reason == "/ redirected more than 10 times within the site; gave up after 0 s (1 attempt)"
    assert len(server.seen) == 11


def test_offsite_redirect_is_the_final_answer_and_is_never_followed(serve: Serve) -> None:
    elsewhere = serve(lambda seen, n: ok())
    server = serve(lambda seen, n: (301, {"Location": f"{elsewhere.url}/login"}, b""))
    hints = HealthHints(headers={"x-vercel-protection-bypass": SECRET})

    default = run(HealthSpec(server.url, ("/",)), hints)
    strict = run(HealthSpec(server.url, ("/",), statuses=((200, 200),), timeout=2), hints)

    assert default.passed and default.checks[0].status == 301
    assert not strict.passed and strict.reason.startswith("/ answered 301 (expected 200);")
    assert elsewhere.seen == []  # the bypass secret never left the site


def test_protected_site_is_reached_with_the_bypass_header_which_is_never_logged_or_reported(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    def script(seen: Seen, n: int) -> Reply:
        if seen.headers.get("x-vercel-protection-bypass") != SECRET:
            return 401, {}, b"protected"
        return (500, {}, b"") if n < 2 else ok()

    server = serve(script)
    hints = HealthHints(headers={"x-vercel-protection-bypass": SECRET})
    caplog.set_level(logging.DEBUG)

    result = run(HealthSpec(server.url, ("/",)), hints)

    assert result.passed
    assert all(seen.headers["x-vercel-protection-bypass"] == SECRET for seen in server.seen)
    assert SECRET not in repr(result)
    assert caplog.records and all(SECRET not in record.getMessage() for record in caplog.records)


def test_a_secret_echoed_back_by_the_server_is_scrubbed_from_reasons_and_logs(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(lambda seen, n: ok(headers={"x-served-by": seen.headers["x-vercel-protection-bypass"]}))
    hints = HealthHints(
        served_by_header="x-served-by",
        served_by_values=("dpl_new",),
        headers={"x-vercel-protection-bypass": SECRET},
    )
    caplog.set_level(logging.INFO, logger="ci_deploy.health.checks")

    result = run(HealthSpec(server.url, ("/",), timeout=2), hints)

    assert not result.passed and "served by another deployment (***)" in result.reason
    assert SECRET not in repr(result)
    error = failure_error(result)
    assert SECRET not in error.message + error.details
    health_logs = [r.getMessage() for r in caplog.records if r.name == "ci_deploy.health.checks"]
    assert health_logs and all(SECRET not in message for message in health_logs)
    redaction.forget_all()


def test_localhost_subdomains_reach_loopback_keeping_the_host(serve: Serve) -> None:
    server = serve(lambda seen, n: ok())

    result = run(HealthSpec(f"http://site.localhost:{server.port}", ("/",)))

    assert result.passed
    assert server.seen[0].headers["host"] == f"site.localhost:{server.port}"


def test_http_proxy_from_the_environment_carries_the_check(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda seen, n: ok(b"via proxy"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    result = run(HealthSpec("http://app.example:8080", ("/",), text="via proxy"))

    assert result.passed
    assert proxy.seen[0].requestline == "GET http://app.example:8080/ HTTP/1.1"


def test_https_proxy_from_the_environment_is_asked_to_connect(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda seen, n: ok())
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    result = run(HealthSpec("https://secure.example", ("/",), timeout=0))

    assert not result.passed and "ProxyError" in result.reason
    assert proxy.seen[0].requestline == "CONNECT secure.example:443 HTTP/1.1"


def test_no_proxy_sends_covered_hosts_direct(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = serve(lambda seen, n: (502, {}, b""))
    server = serve(lambda seen, n: ok())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    direct = run(HealthSpec(server.url, ("/",)))
    loopback = run(HealthSpec(f"http://site.localhost:{server.port}", ("/",)))

    assert direct.passed and loopback.passed
    assert proxy.seen == []


def test_localhost_goes_through_the_proxy_when_no_proxy_does_not_cover_it(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(lambda seen, n: ok())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "internal.example")

    result = run(HealthSpec("http://site.localhost:4321", ("/",)))

    assert result.passed
    assert proxy.seen[0].requestline == "GET http://site.localhost:4321/ HTTP/1.1"


@pytest.fixture
def tls_server(serve: Serve, tmp_path: Path) -> tuple[Server, Path]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (the 'corporate CA')."""
    context, cert = self_signed_tls(tmp_path)
    return serve(lambda seen, n: ok(b"secure"), tls=context), cert


def test_ssl_cert_file_from_the_environment_is_trusted(
    tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    url = f"https://127.0.0.1:{server.port}"

    untrusted = run(HealthSpec(url, ("/",), timeout=0))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    trusted = run(HealthSpec(url, ("/",), text="secure"))

    assert not untrusted.passed and "CERTIFICATE_VERIFY_FAILED" in untrusted.reason
    assert trusted.passed
