"""Lanes (``ci_deploy.lanes``): the upload fan-out's connections send what a client from
``new_client`` would — our User-Agent, the token, the query, the body — through the same kind of
transport (``*.localhost`` to 127.0.0.1 on a real scripted server), get ``http.send``'s retries
awaited, and give way to a proxy-aware client when an environment proxy is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from health_harness import without_network_env
from pytest_httpx import HTTPXMock
from scripted_server import ok, scripted_servers

from ci_deploy import __version__, http
from ci_deploy.lanes import Lane, new_lane, send_async

API = "https://api.example"


def test_a_lane_sends_our_user_agent_its_headers_the_query_and_the_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/v2/files?teamId=team_1",
        match_headers={"User-Agent": f"ci-deploy/{__version__}", "Authorization": "Bearer t0ken", "x-a": "1"},
        match_content=b"content",
    )
    lane = Lane(API, {"Authorization": "Bearer t0ken"}, http.DEFAULT_TIMEOUT)

    async def send() -> httpx.Response:
        return await lane.request(
            "POST", "/v2/files", content=b"content", params={"teamId": "team_1"}, headers={"x-a": "1"}
        )

    response = asyncio.run(send())

    assert response.request.url == f"{API}/v2/files?teamId=team_1"


def test_a_lane_gets_the_retries_of_http_send_and_replays_a_streamed_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=f"{API}/v2/files", status_code=503, headers={"Retry-After": "7"}
    )
    httpx_mock.add_response(method="POST", url=f"{API}/v2/files", json={})
    lane = Lane(API, {}, http.DEFAULT_TIMEOUT)
    sleeps: list[float] = []

    async def body() -> AsyncIterator[bytes]:
        yield b"part 1, "
        yield b"part 2"

    response = asyncio.run(send_async(lane, "POST", "/v2/files", content=body, sleep=sleeps.append))

    assert response.status_code == 200
    assert sleeps == [7.0]
    assert [request.read() for request in httpx_mock.get_requests()] == [b"part 1, part 2"] * 2


def test_a_lane_to_a_localhost_name_reaches_127_0_0_1_keeping_its_host_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_network_env(monkeypatch)
    with scripted_servers() as serve:
        server = serve(lambda seen, n: ok(b"on loopback"))
        lane = new_lane(f"http://api.vercel.localhost:{server.port}", {"Authorization": "Bearer t"})

        async def send() -> bytes:
            response = await lane.request("GET", "/v2/files")
            body = await response.aread()
            await lane.aclose()
            return body

        body = asyncio.run(send())

    assert isinstance(lane, Lane) and lane.is_closed
    assert body == b"on loopback"
    assert server.seen[0].headers["host"] == f"api.vercel.localhost:{server.port}"
    assert server.seen[0].headers["authorization"] == "Bearer t"


def test_under_an_environment_proxy_a_lane_is_a_client_that_applies_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_network_env(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")

    lane = new_lane(API, {"Authorization": "Bearer t"})

    assert isinstance(lane, httpx.AsyncClient)
    assert lane.headers["authorization"] == "Bearer t"
    asyncio.run(lane.aclose())
