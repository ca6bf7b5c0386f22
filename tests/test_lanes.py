"""Lanes (``ci_deploy.lanes``): the upload fan-out's connections send what a client from
``new_client`` would — our User-Agent, the token, the query, the body — through the same kind of
transport (``*.localhost`` to 127.0.0.1 on a real scripted server), get ``http.send``'s retries
awaited, and give way to a proxy-aware client when an environment proxy is set. On real sockets,
a lane's one connection (asyncio's own streams, :mod:`ci_deploy.asyncio_network`) is kept between
requests, replaced when the server closes it, checked against the CA settings, and fails with
httpx's errors, reason included."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpcore
import httpx
import pytest
from health_harness import without_network_env
from pytest_httpx import HTTPXMock
from scripted_server import Seen, ok, scripted_servers, self_signed_tls

from ci_deploy import __version__, asyncio_network, http
from ci_deploy.lanes import Lane, lane_maker, send_async

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
        lane = lane_maker(f"http://api.vercel.localhost:{server.port}", {"Authorization": "Bearer t"})()

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

    monkeypatch.setenv("NO_PROXY", ".localhost")
    make_lane = lane_maker(API, {"Authorization": "Bearer t"})
    lanes = [make_lane(), make_lane()]

    assert all(isinstance(lane, httpx.AsyncClient) for lane in lanes)
    assert lanes[0].headers["authorization"] == "Bearer t"
    # each lane its own connection: the *.localhost transport is not one pool shared by all
    loopback = [mounted for lane in lanes for key, mounted in lane._mounts.items() if "localhost" in key.host]
    assert len(loopback) == 4 and loopback[0] is not loopback[2]
    for lane in lanes:
        asyncio.run(lane.aclose())


def get_all(lane: Lane, paths: list[str]) -> list[httpx.Response]:
    """GET each path on ``lane`` in turn, bodies read, then close the lane."""

    async def send() -> list[httpx.Response]:
        responses = []
        for path in paths:
            response = await lane.request("GET", path)
            await response.aread()
            responses.append(response)
        await lane.aclose()
        return responses

    return asyncio.run(send())


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts lanes open connections to through asyncio's streams, in order."""
    opened: list[str] = []
    connect = asyncio_network.AsyncioBackend.connect_tcp

    async def counted(self: asyncio_network.AsyncioBackend, host: str, port: int, **kwargs: object) -> object:
        opened.append(host)
        return await connect(self, host, port, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio_network.AsyncioBackend, "connect_tcp", counted)
    return opened


def test_a_lane_keeps_its_connection_and_opens_a_new_one_once_the_server_closed_it(
    monkeypatch: pytest.MonkeyPatch, connects: list[str]
) -> None:
    without_network_env(monkeypatch)

    def script(seen: Seen, n: int) -> tuple[int, dict[str, str], bytes]:
        return ok(b"answer %d" % n, {"Connection": "close"} if n == 1 else {})

    with scripted_servers() as serve:
        server = serve(script)
        responses = get_all(Lane(server.url, {}, http.DEFAULT_TIMEOUT), ["/a", "/b", "/c", "/d"])

    assert [response.content for response in responses] == [b"answer %d" % n for n in range(4)]
    ports = [seen.client_port for seen in server.seen]
    assert ports[0] == ports[1] != ports[2] == ports[3]
    assert connects == ["127.0.0.1", "127.0.0.1"]


def test_a_lane_sends_without_httpcores_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lane's connection has one user: httpcore's anyio locks (an event-loop turn per acquire)
    are never set up on it. Fails if httpcore renames the lock the lane replaces."""
    without_network_env(monkeypatch)

    def no_lock(self: object) -> None:
        raise AssertionError("a lane took one of httpcore's locks")

    monkeypatch.setattr(httpcore._synchronization.AsyncLock, "setup", no_lock)
    with scripted_servers() as serve:
        server = serve(lambda seen, n: ok(b"answer %d" % n))
        responses = get_all(Lane(server.url, {}, http.DEFAULT_TIMEOUT), ["/a", "/b"])

    assert [response.content for response in responses] == [b"answer 0", b"answer 1"]


def test_a_lane_to_https_checks_the_certificate_against_ssl_cert_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, connects: list[str]
) -> None:
    without_network_env(monkeypatch)
    context, cert = self_signed_tls(tmp_path)
    with scripted_servers() as serve:
        url = f"https://127.0.0.1:{serve(lambda seen, n: ok(b'secure'), tls=context).port}"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            get_all(Lane(url, {}, http.DEFAULT_TIMEOUT), ["/"])
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        responses = get_all(Lane(url, {}, http.DEFAULT_TIMEOUT), ["/", "/again"])

    assert [response.content for response in responses] == [b"secure", b"secure"]
    assert len(connects) == 2  # the refused one, then one for both requests


def test_a_lane_to_https_on_a_localhost_name_checks_the_certificate_against_the_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, connects: list[str]
) -> None:
    """The connection goes to 127.0.0.1, the TLS handshake names the host (SNI and the check)."""
    without_network_env(monkeypatch)
    context, cert = self_signed_tls(tmp_path, name="api.sandbox.localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    names: list[str | None] = []
    context.sni_callback = lambda connection, name, _context: names.append(name)
    with scripted_servers() as serve:
        url = f"https://api.sandbox.localhost:{serve(lambda seen, n: ok(b'secure'), tls=context).port}"
        responses = get_all(Lane(url, {}, http.DEFAULT_TIMEOUT), ["/"])

    assert [response.content for response in responses] == [b"secure"]
    assert connects == ["127.0.0.1"] and names == ["api.sandbox.localhost"]


def test_a_lane_to_a_port_nobody_listens_on_fails_to_connect_saying_why() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    with pytest.raises(httpx.ConnectError, match=r"refused|Connect call failed"):
        get_all(Lane(f"http://127.0.0.1:{port}", {}, http.DEFAULT_TIMEOUT), ["/"])


def test_a_lane_stops_waiting_for_an_answer_at_the_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    without_network_env(monkeypatch)

    def slow(seen: Seen, n: int) -> tuple[int, dict[str, str], bytes]:
        time.sleep(2)
        return ok()

    with scripted_servers() as serve:
        lane = Lane(serve(slow).url, {}, httpx.Timeout(5, read=0.2))
        with pytest.raises(httpx.ReadTimeout, match=r"no answer within 0\.2s"):
            get_all(lane, ["/"])


def test_the_asyncio_backend_connects_to_a_name_and_speaks_through_the_stream() -> None:
    """A host name goes through asyncio's address race (happy eyeballs); an address does not."""

    async def exchange(port: int) -> bytes:
        stream = await asyncio_network.AsyncioBackend().connect_tcp("localhost", port, timeout=5)
        await stream.write(b"GET /name HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", timeout=5)
        received = b""
        while chunk := await stream.read(65536, timeout=5):
            received += chunk
        await stream.aclose()
        return received

    with scripted_servers() as serve:
        server = serve(lambda seen, n: ok(b"by name"))
        received = asyncio.run(exchange(server.port))

    assert received.startswith(b"HTTP/1.1 200") and received.endswith(b"by name")
    assert server.seen[0].path == "/name"
