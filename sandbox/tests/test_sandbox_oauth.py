"""The sandbox's device flow sign-in (GitHub's server host, Vercel's issuer), driven with
app.Request objects: the oauth.* settings script the person at the browser, and an approved
code's token is accepted by the emulated API at once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from memory_world import MemoryWorld

from ci_deploy_sandbox import app, github_oauth, vercel_oauth
from ci_deploy_sandbox.github import GitHubEmulator
from ci_deploy_sandbox.oauth_device import GRANT_TYPE
from ci_deploy_sandbox.vercel import VercelEmulator

JSON = {"Accept": "application/json"}


def call(
    api: app.ApiEmulator,
    method: str,
    target: str,
    host: str,
    form: dict[str, str] | None = None,
    **headers: str,
) -> app.Response:
    body = urlencode(form or {}).encode()
    request = app.Request.build(
        method,
        target,
        {"Host": host, "Content-Type": "application/x-www-form-urlencoded", **headers},
        body,
        8080,
    )
    route = api.router.match(request)
    assert route is not None, target
    return route.handler(request)


def body(response: app.Response) -> Any:
    return json.loads(response.body)


def github_start(api: GitHubEmulator) -> dict[str, Any]:
    answer = call(
        api,
        "POST",
        "/login/device/code",
        github_oauth.HOST + ":8080",
        {"client_id": "Iv1.a", "scope": "repo"},
        **JSON,
    )
    return dict(body(answer))


def github_poll(api: GitHubEmulator, device_code: str, **headers: str) -> app.Response:
    form = {"client_id": "Iv1.a", "device_code": device_code, "grant_type": GRANT_TYPE}
    return call(api, "POST", "/login/oauth/access_token", github_oauth.HOST + ":8080", form, **headers)


def test_github_answers_pending_then_a_token_the_api_accepts_and_the_code_is_then_spent() -> None:
    api = GitHubEmulator(MemoryWorld())
    code = github_start(api)
    assert code["verification_uri"] == "http://github.localhost:8080/login/device" and code["interval"] == 5
    assert body(github_poll(api, code["device_code"], **JSON))["error"] == "authorization_pending"
    token = body(github_poll(api, code["device_code"], **JSON))["access_token"]
    me = app.Request.build("GET", "/api/v3/user", {"Authorization": f"Bearer {token}"}, b"", 8080)
    route = api.router.match(me)
    assert route is not None and body(route.handler(me))["login"] == "sandbox-user"
    assert body(github_poll(api, code["device_code"], **JSON))["error"] == "incorrect_device_code"


def test_github_answers_form_encoded_without_accept_json_and_errors_with_200() -> None:
    api = GitHubEmulator(MemoryWorld())
    answer = github_poll(api, github_start(api)["device_code"])
    assert answer.status == 200 and parse_qs(answer.body.decode())["error"] == ["authorization_pending"]


@pytest.mark.parametrize(
    ("settings", "errors"),
    [
        ({"oauth.result": "denied"}, ["authorization_pending", "access_denied"]),
        ({"oauth.result": "expired"}, ["authorization_pending", "expired_token"]),
        ({"oauth.slow_down_poll": 1, "oauth.pending_polls": 2}, ["slow_down", "authorization_pending"]),
        ({"oauth.expires_in": 0}, ["expired_token"]),
    ],
)
def test_settings_script_the_person_at_the_browser(settings: dict[str, Any], errors: list[str]) -> None:
    api = GitHubEmulator(MemoryWorld(settings=settings))
    code = github_start(api)
    assert [body(github_poll(api, code["device_code"], **JSON))["error"] for _ in errors] == errors


def test_vercel_discovery_names_the_origin_as_issuer_and_its_token_answers_rfc_errors_with_400() -> None:
    api = VercelEmulator(MemoryWorld(), timers=False)
    host = "127.0.0.1:8080"
    document = body(call(api, "GET", vercel_oauth.DISCOVERY, host))
    assert document["issuer"] == "http://127.0.0.1:8080"
    assert document["token_endpoint"] == "http://127.0.0.1:8080/login/oauth/token"
    start = call(
        api, "POST", vercel_oauth.DEVICE_PATH, host, {"client_id": "cl_a", "scope": "openid offline_access"}
    )
    code = body(start)
    assert code["verification_uri_complete"].endswith(f"?user_code={code['user_code']}")
    form = {"client_id": "cl_a", "device_code": code["device_code"], "grant_type": GRANT_TYPE}
    pending = call(api, "POST", vercel_oauth.TOKEN_PATH, host, form)
    assert pending.status == 400 and body(pending)["error"] == "authorization_pending"
    granted = body(call(api, "POST", vercel_oauth.TOKEN_PATH, host, form))
    assert granted["token_type"] == "Bearer" and granted["expires_in"] == 3600
    user = app.Request.build(
        "GET", "/v2/user", {"Authorization": f"Bearer {granted['access_token']}"}, b"", 8080
    )
    route = api.router.match(user)
    assert route is not None and body(route.handler(user))["user"]["username"] == "sandbox-user"


def test_vercel_refuses_a_wrong_grant_type_and_another_clients_code() -> None:
    api = VercelEmulator(MemoryWorld(), timers=False)
    host = "127.0.0.1:8080"
    code = body(call(api, "POST", vercel_oauth.DEVICE_PATH, host, {"client_id": "cl_a"}))
    wrong_type = {"client_id": "cl_a", "device_code": code["device_code"], "grant_type": "password"}
    assert (
        body(call(api, "POST", vercel_oauth.TOKEN_PATH, host, wrong_type))["error"]
        == "unsupported_grant_type"
    )
    other = {"client_id": "cl_b", "device_code": code["device_code"], "grant_type": GRANT_TYPE}
    assert body(call(api, "POST", vercel_oauth.TOKEN_PATH, host, other))["error"] == "invalid_grant"
