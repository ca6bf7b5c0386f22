"""The Vercel REST client: scope on every call, token header, error interpretation."""

from __future__ import annotations

import json

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy import redaction
from ci_deploy.foreign_text import FOREIGN_LIMIT
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError, error_from, interpret
from ci_deploy.platforms.vercel.endpoints import scope_params

API = "https://api.vercel.com"


@pytest.fixture
def api() -> VercelApi:
    client = VercelApi("tok_123456", sleep=lambda _s: None)
    client.scope = {"teamId": "team_abc"}
    return client


def test_error_from_keeps_code_message_and_the_missing_list() -> None:
    body = {"error": {"code": "missing_files", "message": "Missing files", "missing": ["a" * 40, "b" * 40]}}
    error = error_from(400, body)
    assert (error.status, error.code, error.message) == (400, "missing_files", "Missing files")
    assert error.missing == ["a" * 40, "b" * 40]


def test_error_from_a_non_json_body_names_the_status() -> None:
    error = error_from(502, "Bad gateway from the edge")
    assert error.code == "http_502"
    assert "502" in error.message and "Bad gateway" in error.message
    assert error.missing == []


def test_error_from_a_gateway_html_page_is_one_line_naming_its_title() -> None:
    page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>502</body></html>\n"
    error = error_from(502, page)
    assert error.message == "HTTP 502: 502 Bad Gateway (an HTML page, not the API's JSON)"


def test_error_from_a_megabyte_message_is_one_bounded_line_without_escapes() -> None:
    message = "\x1b]0;owned\x07boom\r\n::add-mask::x\n" + "B" * 1024 * 1024
    error = error_from(400, {"error": {"code": "bad_request\n" + "c" * 10_000, "message": message}})
    assert error.message.startswith("boom ::add-mask::x BBBB") and error.message.endswith("more characters)")
    assert len(error.message) < FOREIGN_LIMIT + 40 and "\x1b" not in error.message
    assert len(error.code) < 140 and "\n" not in error.code


def test_error_from_a_megabyte_html_page_names_its_title_on_one_line() -> None:
    page = "<html><head><title>\x1b[31m502\nBad Gateway\x1b[0m</title></head>" + "<p>x</p>\n" * 200_000
    error = error_from(502, page)
    assert error.message == "HTTP 502: 502 Bad Gateway (an HTML page, not the API's JSON)"


def test_a_body_nested_deeper_than_the_decoder_goes_is_not_json() -> None:
    with pytest.raises(VercelApiError, match=r"^HTTP 500: \[\[\[\[") as caught:
        interpret(500, b"[" * 100_000 + b"]" * 100_000)
    assert len(caught.value.message) < 300


def test_error_from_reads_the_invalid_token_flag() -> None:
    assert error_from(
        403, {"error": {"code": "forbidden", "message": "x", "invalidToken": True}}
    ).invalid_token
    assert not error_from(403, {"error": {"code": "forbidden", "message": "x"}}).invalid_token


def test_interpret_returns_json_on_success_and_none_for_an_empty_body() -> None:
    assert interpret(200, b'{"id": "dpl_1"}') == {"id": "dpl_1"}
    assert interpret(204, b"") is None
    with pytest.raises(VercelApiError, match="not found"):
        interpret(404, json.dumps({"error": {"code": "not_found", "message": "not found"}}).encode())


def test_error_messages_never_carry_a_registered_secret() -> None:
    redaction.register("s3cr3t-value")
    error = error_from(400, {"error": {"code": "bad", "message": "value s3cr3t-value is bad"}})
    assert "s3cr3t-value" not in error.message


def test_scope_params_is_team_id_or_slug_or_nothing() -> None:
    assert scope_params("team_1", None) == {"teamId": "team_1"}
    assert scope_params(None, "acme") == {"slug": "acme"}
    assert scope_params(None, None) == {}


def test_every_call_carries_the_bearer_token_and_the_team_scope(
    httpx_mock: HTTPXMock, api: VercelApi
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/v9/projects/web?teamId=team_abc&x=1",
        match_headers={"Authorization": "Bearer tok_123456"},
        json={"id": "prj_1"},
    )
    assert api.call("GET", "/v9/projects/web", params={"x": "1"}) == {"id": "prj_1"}


def test_an_unscoped_call_has_no_team_query(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(method="GET", url=f"{API}/v2/user", json={"user": {"id": "u1"}})
    assert api.call("GET", "/v2/user", scoped=False) == {"user": {"id": "u1"}}


def test_a_custom_api_url_is_used_as_base(httpx_mock: HTTPXMock) -> None:
    api = VercelApi("tok_1", base_url="http://127.0.0.1:9999/", sleep=lambda _s: None)
    httpx_mock.add_response(method="GET", url="http://127.0.0.1:9999/v2/user", json={})
    api.call("GET", "/v2/user", scoped=False)
