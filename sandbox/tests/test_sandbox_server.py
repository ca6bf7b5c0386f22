"""The HTTP server and the world's pipeline: dispatch by host and path, bodies (sized and
chunked), keep-alive, HEAD, unknown routes in each API's envelope, crashes, the request log."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable

import httpx

from ci_deploy_sandbox.app import SERVED_BY_HEADER, Response
from ci_deploy_sandbox.runtime import Sandbox


def raw_exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes and read until the server closes (requests carry ``Connection: close``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_cloudflare_paths_reach_the_cloudflare_api(core_client: httpx.Client) -> None:
    created = core_client.post("/client/v4/items", json={"a": 1})
    assert created.json() == {"success": True, "result": {"id": 1}}
    assert core_client.get("/client/v4/items").json()["result"] == [{"a": 1}]


def test_unknown_route_answers_404_in_that_apis_envelope(core_client: httpx.Client) -> None:
    response = core_client.get("/client/v4/nothing/here")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_paths_of_a_missing_api_answer_a_plain_json_404(core_client: httpx.Client) -> None:
    response = core_client.get("/v13/deployments/x")
    assert response.status_code == 404
    assert "no such route" in response.json()["error"]["message"]


def test_a_large_body_arrives_whole(core_client: httpx.Client) -> None:
    body = bytes(range(256)) * (4 * 4096)  # 4 MiB
    result = core_client.post("/client/v4/echo", content=body).json()["result"]
    assert result == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_a_chunked_body_is_reassembled(core_client: httpx.Client) -> None:
    parts = [b"a" * 10, b"b" * 70000, b"c"]
    result = core_client.post("/client/v4/echo", content=iter(parts)).json()["result"]
    assert result["sha256"] == hashlib.sha256(b"".join(parts)).hexdigest()


def test_expect_100_continue_is_honoured(core_sandbox: Sandbox) -> None:
    request = (
        b"POST /client/v4/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\n\r\nabc"
    )
    answer = raw_exchange(core_sandbox.port, request)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n")
    assert b"HTTP/1.1 200 OK" in answer


def test_broken_chunked_framing_is_a_400(core_sandbox: Sandbox) -> None:
    request = (
        b"POST /client/v4/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    )
    assert raw_exchange(core_sandbox.port, request).startswith(b"HTTP/1.1 400 ")


def test_keep_alive_serves_many_requests_on_one_connection(core_sandbox: Sandbox) -> None:
    with socket.create_connection(("127.0.0.1", core_sandbox.port), timeout=5) as sock:
        stream = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(b"GET /client/v4/items HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert stream.readline().startswith(b"HTTP/1.1 200")
            length = 0
            while (line := stream.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert stream.read(length).startswith(b'{"success":true')


def test_sites_are_served_by_host_with_the_deployment_header(
    core_client: httpx.Client, core_sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    files = {"/index.html": "<h1>hi</h1>"}
    core_client.post("/client/v4/sites/demo.pages.localhost", json={"id": "dep-9", "files": files})
    response = http_get(core_sandbox.site_url("demo.pages.localhost"))
    assert (response.status_code, response.text) == (200, "<h1>hi</h1>")
    assert response.headers[SERVED_BY_HEADER] == "dep-9"


def test_head_of_a_site_file_has_its_length_and_no_body(
    core_client: httpx.Client, core_sandbox: Sandbox, http_client: httpx.Client
) -> None:
    core_client.post("/client/v4/sites/demo.pages.localhost", json={"files": {"/a.txt": "12345"}})
    response = http_client.head(core_sandbox.site_url("demo.pages.localhost") + "a.txt")
    assert (response.status_code, response.headers["content-length"], response.content) == (200, "5", b"")


def test_an_unknown_host_under_localhost_says_no_deployment_here(
    core_sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    response = http_get(core_sandbox.site_url("nothing.pages.localhost"))
    assert response.status_code == 404
    assert "no deployment here" in response.text


def test_a_claimed_host_goes_to_the_api_that_claims_it(
    core_sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    response = http_get(core_sandbox.site_url("artifacts.github.localhost") + "blob/build")
    assert (response.status_code, response.content) == (200, b"artifact build")


def test_bare_localhost_is_the_api_host(
    core_sandbox: Sandbox, http_get: Callable[..., httpx.Response]
) -> None:
    assert http_get(f"http://localhost:{core_sandbox.port}/api/v3/meta").json() == {"ok": True}


def test_a_crashing_handler_answers_500_in_the_envelope(
    core_client: httpx.Client, core_sandbox: Sandbox
) -> None:
    api = core_sandbox.world.apis["cloudflare"]

    def crash(request: object) -> Response:
        raise RuntimeError("boom")

    api.router.add("GET", "/client/v4/crash", "cloudflare.crash", crash)
    response = core_client.get("/client/v4/crash")
    assert response.status_code == 500
    assert response.json()["success"] is False


def test_every_request_is_logged_and_counted_but_control_requests_are_not(
    core_client: httpx.Client, core_sandbox: Sandbox
) -> None:
    core_client.post("/client/v4/echo", content=b"12345")
    core_client.get("/client/v4/nope")
    core_client.get("/_sandbox/counters")
    entries = core_sandbox.log()
    assert [(e.method, e.endpoint, e.status, e.bytes_in) for e in entries] == [
        ("POST", "cloudflare.echo", 200, 5),
        ("GET", "cloudflare.unknown", 404, 0),
    ]
    counters = core_sandbox.counters()
    assert counters["requests"] == 2
    assert counters["bytes_uploaded"] == 5
    assert counters["endpoints"] == {"cloudflare.echo": 1, "cloudflare.unknown": 1}
