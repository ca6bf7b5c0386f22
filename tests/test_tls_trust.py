"""The TLS context every client shares: CA certificates loaded at the first handshake, not when
a client is made, verifying as before; and CA settings that cannot be used are one line, exit 2,
not a traceback or a connection error retried for minutes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from health_harness import without_network_env
from scripted_server import ok, scripted_servers, self_signed_tls

from ci_deploy import http, tls
from ci_deploy.cli import main
from ci_deploy.tls import TrustStoreError, tls_context


@pytest.fixture(autouse=True)
def no_ca_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA variable of the machine, and no context another test has loaded already."""
    without_network_env(monkeypatch)
    tls._tls_context_for.cache_clear()


def never_sleeps(seconds: float) -> None:
    raise AssertionError(f"retried (slept {seconds} s)")


def loaded_authorities() -> int:
    return tls_context().cert_store_stats()["x509_ca"]


def test_a_client_that_only_speaks_plain_http_never_loads_a_certificate() -> None:
    with scripted_servers() as serve, http.new_client() as client:
        assert client.get(serve(lambda seen, n: ok(b"plain")).url).content == b"plain"

    assert loaded_authorities() == 0


def test_the_first_https_request_loads_certifis_bundle_and_still_refuses_a_certificate_it_does_not_trust(
    tmp_path: Path,
) -> None:
    context, _ = self_signed_tls(tmp_path)
    with scripted_servers() as serve, http.new_client() as client:
        url = f"https://127.0.0.1:{serve(lambda seen, n: ok(), tls=context).port}/"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)

    assert loaded_authorities() > 50


def test_ssl_cert_file_is_what_the_first_https_request_trusts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    context, cert = self_signed_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with scripted_servers() as serve, http.new_client() as client:
        url = f"https://127.0.0.1:{serve(lambda seen, n: ok(b'secure'), tls=context).port}/"
        assert [client.get(url).content for _ in range(2)] == [b"secure", b"secure"]

    assert loaded_authorities() == 1


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("SSL_CERT_FILE", "SSL_CERT_FILE names '{missing}', which is not a file"),
        ("SSL_CERT_DIR", "SSL_CERT_DIR names '{missing}', which is not a folder"),
    ],
)
def test_a_ca_setting_naming_nothing_is_refused_when_a_client_is_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, message: str
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(variable, str(missing))

    with pytest.raises(TrustStoreError, match=message.format(missing=missing)) as refused:
        http.new_client()
    assert refused.value.exit_code == 2


def test_a_ca_file_that_is_not_pem_fails_the_first_https_request_once_without_retries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    context, _ = self_signed_tls(tmp_path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(garbage))
    with scripted_servers() as serve, http.new_client() as client:
        server = serve(lambda seen, n: ok(), tls=context)
        with pytest.raises(
            TrustStoreError, match=f"CA certificates of SSL_CERT_FILE '{garbage}' could not be loaded"
        ):
            http.send(client, "GET", f"https://127.0.0.1:{server.port}/", sleep=never_sleeps)

    assert server.seen == []


@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "SSL_CERT_FILE names '{bundle}', which is not a file"),
     ("not a certificate\n", "the CA certificates of SSL_CERT_FILE '{bundle}' could not be loaded")],
)  # fmt: skip
def test_the_command_line_says_which_ca_setting_is_unusable_in_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str | None,
    said: str,
) -> None:
    context, _ = self_signed_tls(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>hi</p>")
    bundle = tmp_path / "ca.bundle"
    if content is not None:
        bundle.write_text(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with scripted_servers() as serve:
        api = f"https://127.0.0.1:{serve(lambda seen, n: ok(), tls=context).port}/client/v4"
        code = main(
            ["deploy", str(site), "--platform", "cloudflare-pages", "--project", "shop",
             "--token", "t0ken-value", "--account", "0" * 32, "--api-url", api],
            environ={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip

    err = capsys.readouterr().err
    assert code == 2
    assert said.format(bundle=bundle) in err
    assert "Traceback" not in err
