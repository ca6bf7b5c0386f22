"""The device flow's request shapes and polling rules (RFC 8628, GitHub's and Vercel's servers),
on a fake clock: nothing really sleeps, and every wait is recorded."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy import redaction
from ci_deploy.connect import device_flow
from ci_deploy.connect.github_target import github_device_flow
from ci_deploy.errors import InputError, PlatformError
from ci_deploy.platforms.vercel import login

SERVER = "https://ghe.example.com"
FLOW = github_device_flow("Iv1.projectapp", {"GITHUB_SERVER_URL": SERVER + "/"})
CODE = {
    "device_code": "dc-secret",
    "user_code": "WDJB-MJHT",
    "verification_uri": f"{SERVER}/login/device",
    "expires_in": 900,
    "interval": 5,
}


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def clock(fake: FakeTime) -> device_flow.Clock:
    return device_flow.Clock(sleep=fake.sleep, now=fake.clock)


def answers(httpx_mock: HTTPXMock, *polls: dict[str, Any], status: int = 200) -> None:
    httpx_mock.add_response(url=f"{SERVER}/login/device/code", json=CODE)
    for poll in polls:
        httpx_mock.add_response(url=f"{SERVER}/login/oauth/access_token", json=poll, status_code=status)


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_github_is_asked_on_the_server_host_for_a_repo_scoped_code_then_polled_with_the_grant_type(
    httpx_mock: HTTPXMock, fake: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    answers(httpx_mock, {"access_token": "gho_new", "token_type": "bearer", "scope": "repo"})
    grant = device_flow.sign_in(FLOW, clock(fake))
    assert grant == device_flow.Grant("gho_new")
    start, poll = httpx_mock.get_requests()
    assert start.headers["accept"] == "application/json"
    assert form(start) == {"client_id": "Iv1.projectapp", "scope": "repo"}
    assert form(poll) == {
        "client_id": "Iv1.projectapp",
        "device_code": "dc-secret",
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
    }
    err = capsys.readouterr().err
    assert f"open {SERVER}/login/device and enter the code WDJB-MJHT" in err and "gho_new" not in err
    assert redaction.redact("gho_new dc-secret") == "*** ***"


def test_pending_polls_wait_the_interval_before_each_poll(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    pending = {"error": "authorization_pending"}
    answers(httpx_mock, pending, pending, {"access_token": "gho_late"})
    assert device_flow.sign_in(FLOW, clock(fake)).access_token == "gho_late"
    assert fake.sleeps == [5, 5, 5]


def test_slow_down_adds_five_seconds_to_every_later_poll(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    answers(
        httpx_mock,
        {"error": "slow_down"},
        {"error": "authorization_pending"},
        {"error": "slow_down", "interval": 20},
        {"access_token": "gho_ok"},
    )
    device_flow.sign_in(FLOW, clock(fake))
    assert fake.sleeps == [5, 10, 10, 20]


def test_access_denied_ends_with_one_line_naming_the_other_way(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    answers(httpx_mock, {"error": "authorization_pending"}, {"error": "access_denied"})
    with pytest.raises(InputError, match=r"GitHub sign-in was denied.*or set GH_TOKEN") as info:
        device_flow.sign_in(FLOW, clock(fake))
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_expired_token_ends_naming_the_code(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    answers(httpx_mock, {"error": "expired_token"})
    with pytest.raises(InputError, match="code WDJB-MJHT expired before it was approved"):
        device_flow.sign_in(FLOW, clock(fake))


def test_polling_stops_when_the_codes_lifetime_runs_out(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(url=f"{SERVER}/login/device/code", json={**CODE, "expires_in": 12})
    httpx_mock.add_response(
        url=f"{SERVER}/login/oauth/access_token", json={"error": "authorization_pending"}, is_reusable=True
    )
    with pytest.raises(InputError, match="expired before it was approved"):
        device_flow.sign_in(FLOW, clock(fake))
    assert fake.sleeps == [5, 5] and fake.now < 12


def test_an_unknown_client_id_names_where_it_came_from(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        url=f"{SERVER}/login/device/code",
        json={"error": "device_flow_disabled", "error_description": "Device Flow must be enabled"},
    )
    with pytest.raises(InputError, match=r"device_flow_disabled.*--github-client-id or CI_DEPLOY_GITHUB"):
        device_flow.sign_in(FLOW, clock(fake))


def test_vercel_flow_comes_from_discovery_and_reads_400_errors_like_githubs_200(
    httpx_mock: HTTPXMock, fake: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer = "https://vercel.example.com"
    httpx_mock.add_response(
        url=f"{issuer}/.well-known/openid-configuration",
        json={
            "issuer": issuer,
            "device_authorization_endpoint": f"{issuer}/login/oauth/device-authorization",
            "token_endpoint": f"{issuer}/login/oauth/token",
        },
    )
    httpx_mock.add_response(url=f"{issuer}/login/oauth/device-authorization", json=CODE)
    token_url = f"{issuer}/login/oauth/token"
    httpx_mock.add_response(url=token_url, status_code=400, json={"error": "authorization_pending"})
    httpx_mock.add_response(
        url=token_url, json={"access_token": "vc_tok", "token_type": "Bearer", "expires_in": 7200}
    )
    assert login.device_login("cl_project", issuer, clock(fake)) == "vc_tok"
    start = httpx_mock.get_requests()[1]
    assert form(start) == {"client_id": "cl_project", "scope": "openid offline_access"}
    assert "vc_tok" not in capsys.readouterr().err


def test_vercel_discovery_from_another_issuer_is_refused(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url="https://vercel.com/.well-known/openid-configuration",
        json={
            "issuer": "https://evil.example.com",
            "device_authorization_endpoint": "https://evil.example.com/d",
        },
    )
    with pytest.raises(PlatformError, match="without its issuer's endpoints"):
        login.discover("cl_project", None)
