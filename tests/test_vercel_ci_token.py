"""The requests that make and revoke the Vercel token for CI: the body and team scope of the
create, what a refusal says, and a lost answer's token revoked before the create is sent again."""

from __future__ import annotations

import time

import httpx
import pytest
from fake_time import FakeTime
from pytest_httpx import HTTPXMock

from ci_deploy import redaction
from ci_deploy.connect.model import Choice, MintedToken
from ci_deploy.errors import AuthError, PlatformError
from ci_deploy.platforms.vercel.ci_token import VercelTokenMinter

API = "https://api.vercel.com"
CREATE = f"{API}/v3/user/tokens"
LIST = f"{API}/v5/user/tokens"
TEAM = Choice("team_abc", "acme")
PERSONAL = Choice("Xy12AbCd", "me (personal)")
NAME = "ci-deploy acme/shop"


def answer(token_id: str = "tok_1", value: str = "vcp_value1", **more: object) -> dict[str, object]:
    record = {"id": token_id, "name": NAME, "type": "token", "activeAt": 1, "createdAt": 1, **more}
    return {"token": record, "bearerToken": value}


@pytest.fixture
def minter() -> VercelTokenMinter:
    return VercelTokenMinter("vcoauth_session", None)


def test_a_team_token_is_made_in_the_teams_scope_with_its_name_and_expiry(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter
) -> None:
    body = {"name": NAME, "expiresAt": 1_900_000_000_000}
    httpx_mock.add_response(
        method="POST",
        url=f"{CREATE}?teamId=team_abc",
        match_json=body,
        json=answer(expiresAt=1_900_000_000_000),
    )

    made = minter.create(NAME, TEAM, 1_900_000_000_000)

    assert (made.id, made.name, made.expires_at_ms, made.value) == (
        "tok_1",
        NAME,
        1_900_000_000_000,
        "vcp_value1",
    )
    assert made.revoke.endswith("or run `vercel tokens rm tok_1`")
    assert "vcp_value1" not in redaction.redact("vcp_value1") and "vcp_value1" not in repr(made)
    assert httpx_mock.get_requests()[0].headers["authorization"] == "Bearer vcoauth_session"


def test_the_personal_accounts_token_has_no_team_and_no_expiry_unless_asked(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter
) -> None:
    httpx_mock.add_response(method="POST", url=CREATE, match_json={"name": NAME}, json=answer())
    assert minter.create(NAME, PERSONAL, None).expires_at_ms is None


def test_a_refusal_names_the_token_page_and_token_stdin(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter
) -> None:
    message = "Only user authentication tokens can be used to create new tokens."
    httpx_mock.add_response(
        method="POST", status_code=403, json={"error": {"code": "forbidden", "message": message}}
    )
    with pytest.raises(AuthError) as refused:
        minter.create(NAME, TEAM, None)
    assert message in str(refused.value)
    assert "https://vercel.com/account/settings/tokens (Scope: acme)" in str(refused.value)
    assert "--token-stdin" in str(refused.value)


@pytest.mark.parametrize(
    "body", [{"token": {"id": "tok_1"}}, {"bearerToken": "vcp_x"}, {"token": {}, "bearerToken": "vcp_x"}]
)
def test_an_answer_without_the_value_and_id_is_an_error(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter, body: dict[str, object]
) -> None:
    httpx_mock.add_response(method="POST", json=body)
    with pytest.raises(PlatformError, match="no token value and id"):
        minter.create(NAME, TEAM, None)


def test_after_a_lost_answer_the_token_it_made_is_revoked_and_the_create_sent_again(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter, fake_retry_time: FakeTime
) -> None:
    now = int(time.time() * 1000)
    httpx_mock.add_exception(
        httpx.RemoteProtocolError("Server disconnected"), method="POST", url=f"{CREATE}?teamId=team_abc"
    )
    listed = [
        {"id": "tok_lost", "name": NAME, "createdAt": now},
        {"id": "tok_older", "name": NAME, "createdAt": now - 86_400_000},  # an earlier run's: kept
        {"id": "tok_other", "name": "laptop", "createdAt": now},
    ]
    httpx_mock.add_response(method="GET", url=LIST, json={"tokens": listed, "pagination": {}})
    httpx_mock.add_response(
        method="DELETE", url=f"{API}/v3/user/tokens/tok_lost", json={"tokenId": "tok_lost"}
    )
    httpx_mock.add_response(method="POST", url=f"{CREATE}?teamId=team_abc", json=answer("tok_new", "vcp_new"))

    assert minter.create(NAME, TEAM, None).id == "tok_new"

    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "GET", "DELETE", "POST"]


def test_a_create_that_keeps_failing_ends_with_one_line_after_the_budget(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter, fake_retry_time: FakeTime
) -> None:
    httpx_mock.add_response(
        method="POST", status_code=503, json={"error": {"code": "x", "message": "down"}}, is_reusable=True
    )
    httpx_mock.add_response(method="GET", url=LIST, json={"tokens": [], "pagination": {}}, is_reusable=True)
    with pytest.raises(
        PlatformError, match=r"Vercel did not make the token for CI \(HTTP 503\): nothing was stored"
    ):
        minter.create(NAME, TEAM, None)
    assert len(httpx_mock.get_requests(method="POST")) > 1


def test_revoke_deletes_the_token_with_no_team_as_deleteAuthToken_takes_none(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter
) -> None:
    httpx_mock.add_response(method="POST", json=answer())
    httpx_mock.add_response(method="DELETE", url=f"{API}/v3/user/tokens/tok_1", json={"tokenId": "tok_1"})
    minter.revoke(minter.create(NAME, TEAM, None))


def test_revoke_earlier_deletes_the_other_tokens_of_the_name_whatever_their_team(
    httpx_mock: HTTPXMock, minter: VercelTokenMinter
) -> None:
    listed = [
        {"id": "tok_new", "name": NAME, "scopes": [{"type": "team", "teamId": "team_abc"}]},
        {"id": "tok_old_team", "name": NAME, "scopes": [{"type": "team", "teamId": "team_old"}]},
        {"id": "tok_old_personal", "name": NAME, "scopes": [{"type": "user"}]},
        {"id": "tok_laptop", "name": "laptop", "scopes": [{"type": "user"}]},
        {"id": "tok_env", "name": f"{NAME} (production)", "scopes": [{"type": "user"}]},
    ]
    httpx_mock.add_response(method="GET", url=LIST, json={"tokens": listed, "pagination": {}})
    httpx_mock.add_response(method="DELETE", url=f"{API}/v3/user/tokens/tok_old_team", json={})
    httpx_mock.add_response(method="DELETE", url=f"{API}/v3/user/tokens/tok_old_personal", json={})
    kept = MintedToken("vcp_new", "tok_new", NAME, None, "Vercel token", "delete it", "https://tokens")

    assert minter.revoke_earlier(kept) == ["tok_old_team", "tok_old_personal"]
    assert len(httpx_mock.get_requests(method="DELETE")) == 2
