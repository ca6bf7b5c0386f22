"""Upload JWT, bucketing, the streamed bucket body, and the asset-store calls."""

from __future__ import annotations

import base64
import json
import logging
import threading
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.artifact import ArtifactFile
from ci_deploy.errors import ArtifactChanged, PlatformError
from ci_deploy.platforms.cloudflare_pages import files as files
from ci_deploy.platforms.cloudflare_pages import upload as upload
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi
from ci_deploy.platforms.cloudflare_pages.files import Asset

BASE = "https://api.test/client/v4"
TOKEN_URL = f"{BASE}/accounts/acc/pages/projects/site/upload-token"
TOKEN = "api_token_value_123"


def make_jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.signature"


def ok(result: object) -> dict[str, object]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def asset(tmp_path: Path, path: str, data: bytes) -> Asset:
    source = tmp_path / path.replace("/", "_")
    source.write_bytes(data)
    file = ArtifactFile(path, source, len(data))
    return Asset("/" + path, file, files.file_hash(file))


def fake(path: str, size: int, key: str) -> Asset:
    return Asset("/" + path, ArtifactFile(path, Path("/nonexistent") / path, size), key)


def test_jwt_claims_are_read_without_verification() -> None:
    token = upload.UploadToken.parse(make_jwt({"exp": 1000, "max_file_count_allowed": 5}))
    assert (token.expires_at, token.max_file_count) == (1000.0, 5)
    assert token.expired(971.0) and not token.expired(969.0)  # refreshed 30 s early


def test_jwt_without_claims_falls_back_to_20000_files_and_no_expiry() -> None:
    token = upload.UploadToken.parse(make_jwt({}))
    assert (token.expires_at, token.max_file_count) == (None, 20_000)


def test_unreadable_jwt_is_a_platform_error() -> None:
    with pytest.raises(PlatformError, match="not a readable JWT"):
        upload.jwt_claims("not-a-jwt")


def test_distinct_assets_keeps_one_path_per_hash() -> None:
    assets = [fake("a.txt", 1, "h1"), fake("b.txt", 1, "h1"), fake("c.txt", 1, "h2")]
    assert {k: v.path for k, v in upload.distinct_assets(assets).items()} == {"h1": "/a.txt", "h2": "/c.txt"}


def test_buckets_respect_byte_and_file_limits_and_keep_every_file_once() -> None:
    assets = [fake(f"f{i}", size, f"h{i}") for i, size in enumerate([5, 9, 3, 3, 2, 8, 1, 1, 1, 1])]
    buckets = upload.plan_buckets(assets, max_bytes=10, max_files=3, spread=3)
    assert sorted(a.hash for b in buckets for a in b) == sorted(a.hash for a in assets)
    assert all(sum(a.file.size for a in b) <= 10 and len(b) <= 3 for b in buckets)


def test_a_file_larger_than_a_bucket_travels_alone() -> None:
    buckets = upload.plan_buckets([fake("big", 30, "h1"), fake("s", 1, "h2")], max_bytes=10, spread=1)
    assert [[a.hash for a in b] for b in buckets] == [["h1"], ["h2"]]


def test_small_sites_are_spread_over_parallel_requests() -> None:
    assets = [fake(f"f{i}", 10, f"h{i}") for i in range(39)]
    buckets = upload.plan_buckets(assets)
    assert [len(b) for b in buckets] == [13, 13, 13]


def test_streamed_bucket_body_equals_the_json_array_and_its_length(tmp_path: Path) -> None:
    data = bytes(range(256)) * (files.CHUNK // 256 + 3)  # spans two read chunks
    bucket = [
        asset(tmp_path, "big.bin", data),
        asset(tmp_path, "index.html", b"<h1>"),
        asset(tmp_path, "e", b""),
    ]
    length, generate = upload.bucket_body(bucket)
    body = b"".join(generate())
    expected = [
        {
            "key": a.hash,
            "value": base64.b64encode(a.file.source.read_bytes()).decode(),
            "metadata": {"contentType": files.content_type(a.path)},
            "base64": True,
        }
        for a in bucket
    ]
    assert body == json.dumps(expected, separators=(",", ":")).encode()
    assert length == len(body)
    assert b"".join(generate()) == body  # replayable for retries


def test_bucket_body_reads_files_only_while_sent_and_in_small_pieces(tmp_path: Path) -> None:
    late = tmp_path / "late.bin"
    bucket = [Asset("/late.bin", ArtifactFile("late.bin", late, 3 * files.CHUNK), "k")]
    _, generate = upload.bucket_body(bucket)  # the file does not exist yet: nothing was read
    late.write_bytes(b"\0" * (3 * files.CHUNK))
    pieces = list(generate())
    # never the whole file at once: one base64 chunk and what was held before it
    assert max(len(p) for p in pieces) < upload.WRITE_BYTES + 4 * files.CHUNK // 3


def test_a_bucket_of_small_files_goes_out_in_a_few_large_writes_not_three_per_file(tmp_path: Path) -> None:
    bucket = [asset(tmp_path, f"page{i}.html", b"x" * 1000) for i in range(600)]
    length, generate = upload.bucket_body(bucket)

    pieces = list(generate())

    assert len(pieces) == -(-length // upload.WRITE_BYTES)
    assert all(len(p) >= upload.WRITE_BYTES for p in pieces[:-1])


def test_a_file_that_changed_size_is_refused_not_sent_with_a_wrong_length(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_bytes(b"abc")
    _, generate = upload.bucket_body([Asset("/x.txt", ArtifactFile("x.txt", source, 10), "k")])
    with pytest.raises(ArtifactChanged, match="changed while it was being deployed") as caught:
        list(generate())
    assert caught.value.exit_code == 1  # found after the first write


def uploader() -> upload.AssetUploader:
    return upload.AssetUploader(CloudflareApi(TOKEN, BASE, sleep=lambda _: None), "acc", "site")


def refused(httpx_mock: HTTPXMock, url: str, code: int, message: str) -> None:
    """``url`` answers 400 with Cloudflare's error envelope."""
    httpx_mock.add_response(
        url=url, status_code=400, json={"success": False, "errors": [{"code": code, "message": message}]}
    )


def test_only_missing_distinct_content_is_uploaded_once_with_the_jwt(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    jwt = make_jwt({"exp": 4_000_000_000})
    same1, same2 = asset(tmp_path, "a/x.txt", b"same"), asset(tmp_path, "b/x.txt", b"same")
    old, new = asset(tmp_path, "old.css", b"old"), asset(tmp_path, "new.js", b"new")
    httpx_mock.add_response(
        url=TOKEN_URL, match_headers={"Authorization": f"Bearer {TOKEN}"}, json=ok({"jwt": jwt})
    )
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/check-missing",
        match_headers={"Authorization": f"Bearer {jwt}"},
        match_json={"hashes": [same1.hash, old.hash, new.hash]},
        json=ok([same1.hash, new.hash]),
    )
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/upload", match_headers={"Authorization": f"Bearer {jwt}"}, json=ok(None),
        is_reusable=True,
    )  # fmt: skip
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/upsert-hashes",
        match_headers={"Authorization": f"Bearer {jwt}"},
        match_json={"hashes": [same1.hash, old.hash, new.hash]},
        json=ok(None),
    )
    up = uploader()
    result = up.upload_missing_files([same1, same2, old, new])
    with up.upserting([same1.hash, old.hash, new.hash]):
        pass
    sent = [
        item["key"]
        for request in httpx_mock.get_requests(url=f"{BASE}/pages/assets/upload")
        for item in json.loads(request.content)
    ]
    assert sorted(sent) == sorted([same1.hash, new.hash])
    for request in httpx_mock.get_requests(url=f"{BASE}/pages/assets/upload"):
        assert request.headers["Content-Length"] == str(len(request.content))
        assert "chunked" not in request.headers.get("Transfer-Encoding", "")
    assert (result.files_total, result.files_distinct, result.files_new, result.bytes_new) == (4, 3, 2, 7)


def test_nothing_missing_means_no_upload_request(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    a = asset(tmp_path, "index.html", b"hi")
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    httpx_mock.add_response(url=f"{BASE}/pages/assets/check-missing", json=ok([]))
    assert uploader().upload_missing_files([a]).bytes_new == 0


def test_jwt_rejected_with_8000013_is_fetched_again(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    first, second = make_jwt({"n": 1}), make_jwt({"n": 2})
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": first}))
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/check-missing",
        match_headers={"Authorization": f"Bearer {first}"},
        status_code=401,
        json={"success": False, "errors": [{"code": 8000013, "message": "UNAUTHORIZED"}]},
    )
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": second}))
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/check-missing",
        match_headers={"Authorization": f"Bearer {second}"},
        json=ok([]),
    )
    assert uploader().missing(["h"]) == set()


def test_expired_jwt_is_refreshed_before_use(httpx_mock: HTTPXMock) -> None:
    expired, fresh = make_jwt({"exp": 1}), make_jwt({"exp": 4_000_000_000})
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": expired}))
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": fresh}))
    up = uploader()
    assert up.token().jwt == expired
    assert up.token().jwt == fresh
    assert up.token().jwt == fresh  # kept while valid


def test_upload_retries_after_429_and_honours_retry_after(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    a = asset(tmp_path, "index.html", b"hello")
    slept: list[float] = []
    up = upload.AssetUploader(CloudflareApi(TOKEN, BASE, sleep=slept.append), "acc", "site")
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    httpx_mock.add_response(url=f"{BASE}/pages/assets/check-missing", json=ok([a.hash]))
    httpx_mock.add_response(
        url=f"{BASE}/pages/assets/upload",
        status_code=429,
        headers={"Retry-After": "3"},
        json={"success": False},
    )
    httpx_mock.add_response(url=f"{BASE}/pages/assets/upload", status_code=500, json={"success": False})
    httpx_mock.add_response(url=f"{BASE}/pages/assets/upload", json=ok(None))
    up.upload_missing_files([a])
    bodies = [r.content for r in httpx_mock.get_requests(url=f"{BASE}/pages/assets/upload")]
    assert slept[0] == 3.0 and len(slept) == 2
    assert bodies[0] == bodies[1] == bodies[2]  # the streamed body was replayed whole


def test_upsert_failure_is_only_a_warning(
    tmp_path: Path, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    a = asset(tmp_path, "index.html", b"hello")
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    refused(httpx_mock, f"{BASE}/pages/assets/upsert-hashes", 8000000, "boom")
    caplog.set_level(logging.WARNING)
    with uploader().upserting([a.hash]):
        pass
    assert "Could not refresh" in caplog.text


def test_upsert_hashes_is_in_flight_while_the_body_creates_the_deployment(httpx_mock: HTTPXMock) -> None:
    body_running = threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        assert body_running.wait(2), "upsert-hashes was sent before the deployment's create, not with it"
        return httpx.Response(200, json=ok(None))

    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    httpx_mock.add_callback(answer, url=f"{BASE}/pages/assets/upsert-hashes")
    with uploader().upserting(["0" * 32]):
        body_running.set()
    assert len(httpx_mock.get_requests(url=f"{BASE}/pages/assets/upsert-hashes")) == 1


def test_a_bucket_failing_for_good_fails_the_upload(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    a = asset(tmp_path, "index.html", b"hello")
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    httpx_mock.add_response(url=f"{BASE}/pages/assets/check-missing", json=ok([a.hash]))
    refused(httpx_mock, f"{BASE}/pages/assets/upload", 8000096, "bad bucket")
    with pytest.raises(PlatformError) as caught:
        uploader().upload_missing_files([a])
    assert str(caught.value).startswith("could not upload /index.html to the asset store: bad bucket")
    assert caught.value.status == 400


def test_a_refused_check_missing_says_which_call_failed(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    a = asset(tmp_path, "index.html", b"hello")
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    refused(httpx_mock, f"{BASE}/pages/assets/check-missing", 8000099, "hashes malformed")
    named = r"^could not ask the asset store which files it lacks \(check-missing\): hashes malformed"
    with pytest.raises(PlatformError, match=named):
        uploader().upload_missing_files([a])


def test_connection_reset_on_upload_is_retried(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    a = asset(tmp_path, "index.html", b"hello")
    httpx_mock.add_response(url=TOKEN_URL, json=ok({"jwt": make_jwt({})}))
    httpx_mock.add_response(url=f"{BASE}/pages/assets/check-missing", json=ok([a.hash]))
    httpx_mock.add_exception(httpx.RemoteProtocolError("reset"), url=f"{BASE}/pages/assets/upload")
    httpx_mock.add_response(url=f"{BASE}/pages/assets/upload", json=ok(None))
    assert uploader().upload_missing_files([a]).files_new == 1
