"""The client factory of ``ci_deploy.http`` (``new_client``): our User-Agent and headers,
explicit timeouts, no redirects unless asked, and ``*.localhost`` connected to 127.0.0.1 (a real
scripted server on loopback). How health checks use proxies, ``NO_PROXY`` and ``SSL_CERT_FILE``
through this client is in test_health_transport.py.
"""

from __future__ import annotations

import httpx
import pytest
from health_harness import without_network_env
from pytest_httpx import HTTPXMock
from scripted_server import ok, scripted_servers

from ci_deploy import __version__
from ci_deploy.http import new_client
from ci_deploy.urls import is_loopback_name

API = "https://api.example"


def test_the_client_sends_our_user_agent_along_with_the_headers_it_was_given(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(
        url=f"{API}/items",
        match_headers={"User-Agent": f"ci-deploy/{__version__}", "Authorization": "Bearer t0ken"},
    )

    with new_client(API, headers={"Authorization": "Bearer t0ken"}) as made:
        assert made.get("/items").status_code == 200


def test_the_client_has_explicit_timeouts_and_follows_no_redirect_unless_asked() -> None:
    with new_client() as default, new_client(timeout=5.0, follow_redirects=True) as custom:
        assert default.timeout == httpx.Timeout(30.0, connect=10.0)
        assert not default.follow_redirects
        assert custom.timeout == httpx.Timeout(5.0)
        assert custom.follow_redirects


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "anything.localhost", "a.b.c.localhost"])
def test_localhost_and_every_name_under_it_are_loopback_names(host: str) -> None:
    assert is_loopback_name(host)


@pytest.mark.parametrize("host", ["localhost.example.com", "notlocalhost", "example.com", "127.0.0.1"])
def test_names_that_only_look_like_localhost_are_not_loopback_names(host: str) -> None:
    assert not is_loopback_name(host)


@pytest.mark.parametrize("host", ["localhost", "anything.localhost", "preview-42.shop.localhost"])
def test_a_request_to_a_localhost_name_reaches_127_0_0_1_keeping_its_host_header(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_network_env(monkeypatch)
    with scripted_servers() as serve, new_client() as made:
        server = serve(lambda seen, n: ok(b"on loopback"))

        response = made.get(f"http://{host}:{server.port}/page")

    assert response.text == "on loopback"
    assert server.seen[0].headers["host"] == f"{host}:{server.port}"
    assert server.seen[0].path == "/page"
