"""The emulated Vercel access tokens: made (the value answered once, working at once), listed,
read, revoked and expired; an OAuth sign-in's token and a team-scoped token may not make more."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from memory_world import MemoryWorld
from vercel_calls import TEAM, Call, Clock, js

from ci_deploy_sandbox import app, vercel_oauth
from ci_deploy_sandbox.oauth_device import GRANT_TYPE
from ci_deploy_sandbox.vercel import VercelEmulator
from ci_deploy_sandbox.vercel_tokens import REFUSED_OAUTH

NAME = "ci-deploy acme/shop"


def create(call: Call, body: object, **kwargs: object) -> app.Response:
    return call("POST", "/v3/user/tokens", body, **kwargs)


def made(call: Call, **kwargs: object) -> tuple[dict[str, Any], str]:
    """A token made with the sandbox's own token: its record and its value."""
    response = create(call, {"name": NAME}, **kwargs)
    assert response.status == 200, response.body
    answer = js(response)
    return answer["token"], answer["bearerToken"]


def signed_in(api: VercelEmulator, world: MemoryWorld) -> str:
    """An access token from the device sign-in, through its routes."""
    world.settings["oauth.pending_polls"] = 0

    def post(path: str, form: dict[str, str]) -> dict[str, str]:
        headers = {"Host": "127.0.0.1:4321", "Content-Type": "application/x-www-form-urlencoded"}
        request = app.Request.build("POST", path, headers, urlencode(form).encode(), 4321)
        route = api.router.match(request)
        assert route is not None
        return dict(json.loads(route.handler(request).body))

    code = post(vercel_oauth.DEVICE_PATH, {"client_id": "cl_a", "scope": "openid offline_access"})
    form = {"client_id": "cl_a", "device_code": code["device_code"], "grant_type": GRANT_TYPE}
    return post(vercel_oauth.TOKEN_PATH, form)["access_token"]


def test_a_made_token_is_answered_once_with_its_value_and_works_at_once_in_its_team(call: Call) -> None:
    token, bearer = made(call)

    assert re.fullmatch(r"\w+", bearer)
    assert token["name"] == NAME and token["type"] == "token"
    assert token["scopes"] == [
        {"type": "team", "teamId": TEAM, "origin": "manual", "createdAt": token["createdAt"]}
    ]
    assert "expiresAt" not in token
    assert call("GET", "/v9/projects", token=bearer).status == 200
    assert js(call("GET", "/v5/user/tokens/current", token=bearer, team=None))["token"] == token
    listed = call("GET", "/v5/user/tokens", team=None)
    assert token in js(listed)["tokens"] and bearer not in listed.body.decode()


def test_a_user_scoped_token_reaches_the_users_teams_and_may_make_tokens_itself(call: Call) -> None:
    token, bearer = made(call, team=None)

    assert token["scopes"][0]["type"] == "user"
    assert call("GET", "/v9/projects", token=bearer).status == 200
    assert create(call, {"name": "another"}, token=bearer, team=None).status == 200


def test_a_token_with_an_expiry_is_refused_once_it_has_passed(call: Call, clock: Clock) -> None:
    expires = int(clock() * 1000) + 60_000
    response = create(call, {"name": NAME, "expiresAt": expires})
    bearer = js(response)["bearerToken"]
    assert js(response)["token"]["expiresAt"] == expires
    assert call("GET", "/v2/user", token=bearer, team=None).status == 200

    clock.advance(60_000)

    refused = call("GET", "/v2/user", token=bearer, team=None)
    assert (refused.status, js(refused)["error"]["invalidToken"]) == (403, True)


def test_a_revoked_token_is_refused_and_no_longer_listed(call: Call) -> None:
    token, bearer = made(call)

    assert js(call("DELETE", f"/v3/user/tokens/{token['id']}", team=None)) == {"tokenId": token["id"]}

    assert call("GET", "/v2/user", token=bearer, team=None).status == 403
    assert call("GET", f"/v5/user/tokens/{token['id']}", team=None).status == 404
    assert token not in js(call("GET", "/v5/user/tokens", team=None))["tokens"]


def test_a_token_may_revoke_itself_but_the_sandbox_token_is_not_revocable(call: Call) -> None:
    token, bearer = made(call)
    assert js(call("DELETE", "/v3/user/tokens/current", token=bearer, team=None))["tokenId"] == token["id"]
    assert call("GET", "/v2/user", token=bearer, team=None).status == 403
    assert call("DELETE", "/v3/user/tokens/current", team=None).status == 404
    assert call("GET", "/v2/user", team=None).status == 200


def test_a_device_sign_ins_token_may_not_make_tokens_unless_the_setting_allows(
    api: VercelEmulator, world: MemoryWorld, call: Call
) -> None:
    oauth = signed_in(api, world)
    current = js(call("GET", "/v5/user/tokens/current", token=oauth, team=None))["token"]
    assert current["type"] == "oauth2-token" and current["name"] == "cl_a"

    refused = create(call, {"name": NAME}, token=oauth)
    assert refused.status == 403 and js(refused)["error"]["message"] == REFUSED_OAUTH

    world.settings["vercel.oauth_creates_tokens"] = True
    assert create(call, {"name": NAME}, token=oauth).status == 200


def test_a_device_sign_ins_token_expires_after_its_stated_lifetime(
    api: VercelEmulator, world: MemoryWorld, call: Call, clock: Clock
) -> None:
    world.settings["oauth.token_expires_in"] = 600
    oauth = signed_in(api, world)
    assert call("GET", "/v2/user", token=oauth, team=None).status == 200

    clock.advance(600_000)

    assert call("GET", "/v2/user", token=oauth, team=None).status == 403


def test_a_team_scoped_token_may_not_make_tokens(call: Call) -> None:
    _, bearer = made(call)
    refused = create(call, {"name": "more"}, token=bearer)
    assert refused.status == 403
    assert js(refused)["error"]["message"].startswith(
        'To create a token you must be authenticated to scope "'
    )


def test_the_body_is_checked_as_the_description_says(call: Call, clock: Clock) -> None:
    past = int(clock() * 1000) - 1
    for body in ({}, {"name": ""}, {"name": NAME, "projectId": "prj_x"}, {"name": NAME, "expiresAt": past}):
        response = create(call, body)
        assert (response.status, js(response)["error"]["code"]) == (400, "bad_request"), body


def test_made_tokens_survive_a_restart_and_the_state_keeps_only_their_digest(
    api: VercelEmulator, world: MemoryWorld, call: Call, clock: Clock
) -> None:
    _, bearer = made(call)
    snapshot = api.snapshot()
    assert bearer not in json.dumps(snapshot)

    restarted = VercelEmulator(world, clock=clock, timers=False)
    restarted.restore(snapshot)

    request = app.Request.build(
        "GET", f"/v9/projects?teamId={TEAM}", {"Authorization": f"Bearer {bearer}"}, b"", 4321
    )
    route = restarted.router.match(request)
    assert route is not None and route.handler(request).status == 200
