"""Uploading missing contents: headers, streamed bodies, scope, retries, each sha once."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import resource
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import PlatformError
from ci_deploy.lanes import Lane
from ci_deploy.platforms.vercel.api import VercelApi
from ci_deploy.platforms.vercel.files import FileEntry
from ci_deploy.platforms.vercel.upload import (
    FAR_IN_FLIGHT,
    LANES_PER_TURN,
    NEAR_IN_FLIGHT,
    RESERVED_DESCRIPTORS,
    UPLOAD_COLLECTION_THRESHOLD,
    in_flight_for,
    upload_headers,
    upload_missing,
)

FILES_URL = "https://api.vercel.com/v2/files?teamId=team_abc"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def api(sleeps: list[float]) -> VercelApi:
    client = VercelApi("tok_1", sleep=sleeps.append)
    client.scope = {"teamId": "team_abc"}
    return client


def entry(tmp_path: Path, name: str, data: bytes) -> FileEntry:
    (tmp_path / name).write_bytes(data)
    return FileEntry(name, hashlib.sha1(data).hexdigest(), len(data), tmp_path / name)


def test_upload_headers_carry_both_digests_size_and_length(tmp_path: Path) -> None:
    e = entry(tmp_path, "a.txt", b"hello")
    assert upload_headers(e) == {
        "Content-Type": "application/octet-stream",
        "Content-Length": "5",
        "x-vercel-digest": e.sha,
        "x-now-digest": e.sha,
        "x-now-size": "5",
    }


def test_only_the_missing_shas_are_uploaded_once_each_with_team_scope(
    httpx_mock: HTTPXMock, api: VercelApi, tmp_path: Path
) -> None:
    a, b = entry(tmp_path, "a.txt", b"aaa"), entry(tmp_path, "b.txt", b"bbbb")
    httpx_mock.add_response(
        method="POST",
        url=FILES_URL,
        match_headers={
            "x-vercel-digest": b.sha,
            "x-now-digest": b.sha,
            "x-now-size": "4",
            "Content-Length": "4",
        },
        match_content=b"bbbb",
        json={},
    )
    result = upload_missing(api, {a.sha: a, b.sha: b}, [b.sha, b.sha])
    assert (result.files, result.bytes) == (1, 4)
    request = httpx_mock.get_request()
    assert request is not None and "transfer-encoding" not in request.headers


def test_an_empty_file_is_uploaded_as_a_zero_byte_body(
    httpx_mock: HTTPXMock, api: VercelApi, tmp_path: Path
) -> None:
    e = entry(tmp_path, "empty", b"")
    httpx_mock.add_response(
        method="POST", url=FILES_URL, match_headers={"Content-Length": "0"}, match_content=b""
    )
    assert upload_missing(api, {e.sha: e}, [e.sha]).files == 1


def test_upload_retries_after_429_and_honours_retry_after(
    httpx_mock: HTTPXMock, api: VercelApi, sleeps: list[float], tmp_path: Path
) -> None:
    e = entry(tmp_path, "a.txt", b"data")
    httpx_mock.add_response(method="POST", url=FILES_URL, status_code=429, headers={"Retry-After": "7"})
    httpx_mock.add_response(method="POST", url=FILES_URL, match_content=b"data", json={})
    upload_missing(api, {e.sha: e}, [e.sha])
    assert sleeps == [7.0]


def test_upload_retries_5xx_and_a_reset_resending_the_whole_body(
    httpx_mock: HTTPXMock, api: VercelApi, sleeps: list[float], tmp_path: Path
) -> None:
    e = entry(tmp_path, "a.txt", b"data")
    httpx_mock.add_response(method="POST", url=FILES_URL, status_code=503)
    httpx_mock.add_exception(httpx.ReadError("connection reset"), method="POST", url=FILES_URL)
    httpx_mock.add_response(method="POST", url=FILES_URL, match_content=b"data", json={})
    upload_missing(api, {e.sha: e}, [e.sha])
    assert len(sleeps) == 2


def test_an_upload_refused_after_retries_names_the_file(
    httpx_mock: HTTPXMock, api: VercelApi, tmp_path: Path
) -> None:
    (tmp_path / "assets").mkdir()
    e = entry(tmp_path, "assets/app.js", b"x")
    httpx_mock.add_response(
        method="POST",
        url=FILES_URL,
        status_code=400,
        json={"error": {"code": "bad_request", "message": "File digest missing"}},
    )
    with pytest.raises(PlatformError, match=r"assets/app\.js.*File digest missing \(HTTP 400\)$"):
        upload_missing(api, {e.sha: e}, [e.sha])


def test_a_missing_sha_this_deploy_does_not_have_is_an_error(api: VercelApi) -> None:
    with pytest.raises(PlatformError, match="does not have"):
        upload_missing(api, {}, ["f" * 40])


def test_uploads_in_flight_follow_the_round_trip_of_the_create_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (65536, resource.RLIM_INFINITY))

    assert in_flight_for(0.002) == NEAR_IN_FLIGHT
    assert in_flight_for(0.25) == FAR_IN_FLIGHT > NEAR_IN_FLIGHT


def test_uploads_go_out_on_in_flight_lanes_of_their_own_each_closed_at_the_end(
    api: VercelApi, tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = [entry(tmp_path, f"f{i}.txt", f"content {i}".encode()) for i in range(10)]
    for _ in entries:
        httpx_mock.add_response(method="POST", url=FILES_URL, json={})
    lanes = []
    make_lane = api.lane_maker()

    def recording_lane() -> Lane | httpx.AsyncClient:
        lanes.append(make_lane())
        return lanes[-1]

    monkeypatch.setattr(api, "lane_maker", lambda: recording_lane)

    upload_missing(api, {e.sha: e for e in entries}, [e.sha for e in entries], in_flight=4)

    assert len(lanes) == 4 and all(isinstance(lane, Lane) and lane.is_closed for lane in lanes)
    assert sorted(r.headers["x-vercel-digest"] for r in httpx_mock.get_requests()) == sorted(
        e.sha for e in entries
    )


def test_in_flight_uploads_are_on_the_wire_together(
    api: VercelApi, tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    """Every answer waits until four uploads are in flight at once: sent one after another,
    the first would wait in vain and the deploy would fail."""
    entries = [entry(tmp_path, f"f{i}.txt", f"content {i}".encode()) for i in range(8)]
    in_flight: list[httpx.Request] = []
    four_together = asyncio.Event()

    async def answer_once_four_are_in_flight(request: httpx.Request) -> httpx.Response:
        in_flight.append(request)
        if len(in_flight) >= 4:
            four_together.set()
        await asyncio.wait_for(four_together.wait(), timeout=5)
        return httpx.Response(200, json={})

    httpx_mock.add_callback(answer_once_four_are_in_flight, url=FILES_URL, is_reusable=True)

    upload_missing(api, {e.sha: e for e in entries}, [e.sha for e in entries], in_flight=4)

    assert len(in_flight) == 8


def test_a_small_file_is_sent_as_one_block_and_a_large_one_streamed_with_its_length(
    api: VercelApi, tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    from ci_deploy.platforms.vercel.upload import WHOLE_BODY_MAX

    small = entry(tmp_path, "small.txt", b"s" * 100)
    large = entry(tmp_path, "large.bin", b"L" * (WHOLE_BODY_MAX + 1))
    httpx_mock.add_response(url=FILES_URL, json={}, is_reusable=True)
    upload_missing(api, {small.sha: small, large.sha: large}, [small.sha, large.sha])
    bodies = {r.headers["x-vercel-digest"]: r for r in httpx_mock.get_requests()}
    assert bodies[small.sha].content == b"s" * 100
    assert bodies[large.sha].headers["content-length"] == str(WHOLE_BODY_MAX + 1)
    assert "transfer-encoding" not in bodies[large.sha].headers
    assert bodies[large.sha].read() == b"L" * (WHOLE_BODY_MAX + 1)


@pytest.mark.parametrize(
    ("soft_limit", "expected"),
    [(256, (256 - RESERVED_DESCRIPTORS) // 2), (1024, FAR_IN_FLIGHT), (70, 3), (10, 1)],
)
def test_uploads_in_flight_leave_room_under_the_open_file_limit(
    monkeypatch: pytest.MonkeyPatch, soft_limit: int, expected: int
) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (soft_limit, resource.RLIM_INFINITY))

    assert in_flight_for(0.25) == expected
    assert in_flight_for(0.002) == min(NEAR_IN_FLIGHT, expected)


def test_an_unlimited_open_file_limit_keeps_the_uploads_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    assert in_flight_for(0.25) == FAR_IN_FLIGHT


def test_the_cycle_collector_sweeps_less_often_while_uploading_and_as_before_after(
    api: VercelApi, tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    entries = [entry(tmp_path, f"f{i}.txt", f"content {i}".encode()) for i in range(3)]
    before = gc.get_threshold()
    during: list[tuple[int, ...]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        during.append(gc.get_threshold())
        return httpx.Response(200, json={})

    httpx_mock.add_callback(answer, method="POST", url=FILES_URL, is_reusable=True)

    upload_missing(api, {e.sha: e for e in entries}, [e.sha for e in entries], in_flight=2)

    assert during == [(UPLOAD_COLLECTION_THRESHOLD, *before[1:])] * 3
    assert gc.get_threshold() == before


def test_the_first_lanes_send_before_the_rest_are_set_up(
    api: VercelApi, tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    entries = [entry(tmp_path, f"f{i}.txt", f"content {i}".encode()) for i in range(4 * LANES_PER_TURN)]
    lanes_at_send: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        lanes_at_send.append(len(asyncio.all_tasks()) - 1)  # less the task that starts them
        return httpx.Response(200, json={})

    httpx_mock.add_callback(answer, method="POST", url=FILES_URL, is_reusable=True)

    upload_missing(api, {e.sha: e for e in entries}, [e.sha for e in entries], in_flight=len(entries))

    assert lanes_at_send[0] == LANES_PER_TURN and len(lanes_at_send) == len(entries)
