"""The Cloudflare envelope, paging, auth headers and retries of the API client."""

from __future__ import annotations

import json
import logging

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import AuthError
from ci_deploy.foreign_text import FOREIGN_LIMIT
from ci_deploy.platforms.cloudflare_pages.api import (
    CloudflareApi,
    CloudflareApiError,
    interpret,
    is_last_page,
    permission_error,
    server_clock_offset,
)

BASE = "https://api.test/client/v4"
TOKEN = "api_token_value_123"


def ok(result: object, **extra: object) -> dict[str, object]:
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


def test_success_envelope_gives_result_and_paging_info() -> None:
    envelope = interpret(200, {}, b'{"success":true,"result":[1],"result_info":{"page":1}}')
    assert envelope.result == [1]
    assert envelope.info == {"page": 1}


def test_success_false_is_an_error_even_with_http_200() -> None:
    body = b'{"success":false,"errors":[{"code":8000007,"message":"Project not found"}],"result":null}'
    with pytest.raises(CloudflareApiError) as caught:
        interpret(200, {}, body)
    assert caught.value.codes == (8000007,)
    assert caught.value.code == 8000007
    assert "Project not found [code 8000007]" in caught.value.message


def test_html_gateway_page_is_a_malformed_response_with_its_status() -> None:
    with pytest.raises(CloudflareApiError, match=r"malformed.*HTTP 502") as caught:
        interpret(502, {}, b"<html><body>Bad gateway</body></html>")
    assert caught.value.status == 502


def test_a_megabyte_error_message_is_one_bounded_line_that_keeps_its_code_and_status(
    httpx_mock: HTTPXMock,
) -> None:
    message = "\x1b[31mexploded\x1b[0m\n::set-output name=url::http://evil.example\n" + "A" * 1024 * 1024
    httpx_mock.add_response(
        url=f"{BASE}/x",
        status_code=400,
        json={"success": False, "errors": [{"code": 8000000, "message": message}]},
    )
    api = CloudflareApi(TOKEN, BASE, sleep=lambda _: None)
    with pytest.raises(CloudflareApiError) as caught:
        api.call("GET", "x")
    shown = caught.value.message
    assert shown.startswith("exploded ::set-output name=url::http://evil.example AAAA")
    assert shown.endswith("more characters) [code 8000000] (HTTP 400)")
    assert len(shown) < FOREIGN_LIMIT + 80 and "\n" not in shown and "\x1b" not in shown
    assert caught.value.codes == (8000000,)


def test_thousands_of_errors_name_the_first_three_and_count_the_rest() -> None:
    errors = [{"code": 8000000 + n, "message": "m" * 1000} for n in range(5000)]
    with pytest.raises(CloudflareApiError) as caught:
        interpret(400, {}, json.dumps({"success": False, "errors": errors}).encode())
    shown = caught.value.message
    assert "[code 8000000]; " in shown and "[code 8000002]; and 4997 more errors (HTTP 400)" in shown
    assert len(shown) < FOREIGN_LIMIT + 200


@pytest.mark.parametrize(
    "payload",
    [
        {"success": False, "errors": [{"code": "9" * 100_000, "message": "x"}]},
        {"success": False, "errors": [{"code": "\u00b2", "message": "x"}]},
        {"success": False, "errors": 5},
        {"success": False, "errors": "not a list"},
    ],
    ids=["a code of 100000 digits", "a superscript digit", "errors a number", "errors a string"],
)
def test_a_malformed_error_list_is_a_bounded_error_not_a_crash(payload: object) -> None:
    with pytest.raises(CloudflareApiError) as caught:
        interpret(400, {}, json.dumps(payload).encode())
    assert caught.value.codes == () and len(caught.value.message) < FOREIGN_LIMIT + 80


def test_an_answer_nested_deeper_than_the_decoder_goes_is_a_malformed_response() -> None:
    with pytest.raises(CloudflareApiError, match=r"malformed.*HTTP 500"):
        interpret(500, {}, b"[" * 100_000 + b"]" * 100_000)


def test_empty_204_is_success() -> None:
    assert interpret(204, {}, b"").result is None


def test_waf_challenge_is_named() -> None:
    with pytest.raises(CloudflareApiError, match="WAF challenge"):
        interpret(403, {"cf-mitigated": "challenge"}, b"<html/>")


def test_refused_covers_401_403_and_code_10000() -> None:
    assert CloudflareApiError("x", status=403).refused
    assert CloudflareApiError("x", status=400, codes=(10000,)).refused
    assert not CloudflareApiError("x", status=404).refused


def test_paging_stops_at_total_count_total_pages_or_short_page() -> None:
    assert is_last_page({"total_count": 50}, 2, 25, 25)
    assert not is_last_page({"total_count": 51}, 2, 25, 25)
    assert is_last_page({"total_pages": 3}, 3, 25, 25)
    assert is_last_page({}, 1, 25, 3)


def test_server_clock_offset_comes_from_the_date_header() -> None:
    offset = server_clock_offset({"date": "Thu, 01 Jan 2026 00:00:10 GMT"}, 1767225600.0)
    assert offset == pytest.approx(10.0)
    assert server_clock_offset({}, 0.0) is None


def test_permission_error_names_the_permission_and_the_token_input() -> None:
    error = permission_error(
        CloudflareApiError("Authentication error", status=403), "DNS: Edit", "edit DNS", "acc"
    )
    assert isinstance(error, AuthError)
    assert error.input_name == "token"
    assert "'DNS: Edit'" in error.message and "acc" in error.message


def test_api_calls_carry_the_api_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/accounts/a/pages/projects/p",
        match_headers={"Authorization": f"Bearer {TOKEN}"},
        json=ok({"name": "p"}),
    )
    api = CloudflareApi(TOKEN, BASE, sleep=lambda _: None)
    assert api.call("GET", "accounts/a/pages/projects/p") == {"name": "p"}


def test_asset_calls_carry_the_jwt_and_never_the_api_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/check-missing",
        match_headers={"Authorization": "Bearer the.jwt.value"},
        json=ok([]),
    )
    api = CloudflareApi(TOKEN, BASE, sleep=lambda _: None)
    api.assets("POST", "pages/assets/check-missing", "the.jwt.value", json={"hashes": []})
    assert TOKEN not in str(httpx_mock.get_requests()[0].headers)


def test_pages_walks_every_page(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/accounts?page=1&per_page=2", json=ok([1, 2], result_info={"total_count": 3})
    )
    httpx_mock.add_response(
        url=f"{BASE}/accounts?page=2&per_page=2", json=ok([3], result_info={"total_count": 3})
    )
    api = CloudflareApi(TOKEN, BASE, sleep=lambda _: None)
    assert list(api.pages("accounts", per_page=2)) == [1, 2, 3]


def test_429_is_retried_after_the_retry_after_it_names(httpx_mock: HTTPXMock) -> None:
    url = f"{BASE}/accounts/a/pages/projects/p"
    httpx_mock.add_response(url=url, status_code=429, headers={"Retry-After": "7"}, json={"success": False})
    httpx_mock.add_response(url=url, json=ok({"name": "p"}))
    slept: list[float] = []
    api = CloudflareApi(TOKEN, BASE, sleep=slept.append)
    assert api.call("GET", "accounts/a/pages/projects/p") == {"name": "p"}
    assert slept == [7.0]


def test_5xx_html_pages_are_retried_then_succeed(httpx_mock: HTTPXMock) -> None:
    url = f"{BASE}/x"
    httpx_mock.add_response(url=url, status_code=502, html="<html>bad gateway</html>")
    httpx_mock.add_response(url=url, status_code=503, html="<html>unavailable</html>")
    httpx_mock.add_response(url=url, json=ok("done"))
    slept: list[float] = []
    api = CloudflareApi(TOKEN, BASE, sleep=slept.append)
    assert api.call("GET", "x") == "done"
    assert len(slept) == 2


def test_no_log_line_carries_the_token(httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture) -> None:
    httpx_mock.add_response(url=f"{BASE}/x", status_code=500, json={"success": False})
    httpx_mock.add_response(url=f"{BASE}/x", json=ok(None))
    caplog.set_level(logging.DEBUG)
    CloudflareApi(TOKEN, BASE, sleep=lambda _: None).call("GET", "x")
    assert caplog.records
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
