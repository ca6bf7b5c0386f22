"""The head start: a deploy's first reads go out while start-up goes on, are used once, only for
the very request the run sends, never after a write, and never for bad input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import github_env, make_site, platform_inputs, push_event, run_action
from pytest_httpx import HTTPXMock

from ci_deploy import head_start, http
from ci_deploy.artifact import walk_directory
from ci_deploy.platforms.cloudflare_pages import early_reads, files, upload
from ci_deploy_sandbox.runtime import Sandbox

SHA = "c" * 40
API = "http://127.0.0.1:9/client/v4"
ACCOUNT = "0123456789abcdef0123456789abcdef"
PROJECT_URL = f"{API}/accounts/{ACCOUNT}/pages/projects/shop"
TOKEN_URL = f"{PROJECT_URL}/upload-token"
CHECK_MISSING_URL = f"{API}/pages/assets/check-missing"


@pytest.fixture(autouse=True)
def no_head_start_left() -> object:
    yield
    head_start.stop()


def raw_inputs(tmp_path: Path, **overrides: str) -> dict[str, str]:
    make_site(tmp_path / "dist")
    inputs = {
        "platform": "cloudflare-pages",
        "project": "shop",
        "token": "cf_token_head_start",
        "account": ACCOUNT,
        "api-url": API,
        "working-directory": str(tmp_path),
    }
    return {**inputs, **overrides}


def requests_seen(httpx_mock: HTTPXMock, count: int) -> list[httpx.Request]:
    """The requests sent so far, once there are ``count`` (early reads answer on their own threads)."""
    deadline = time.monotonic() + 5
    while len(httpx_mock.get_requests()) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return httpx_mock.get_requests()


def get(url: str) -> httpx.Response:
    """The run's own GET of ``url``, as an adapter sends it (token in the header)."""
    with http.new_client() as client:
        return http.send(client, "GET", url, headers={"Authorization": "Bearer cf_token_head_start"})


def test_the_project_read_goes_out_at_start_and_answers_the_runs_own_request(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {"name": "shop"}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []})
    head_start.start(raw_inputs(tmp_path), {})

    assert get(PROJECT_URL).json()["result"] == {"name": "shop"}
    assert get(TOKEN_URL).json()["result"] == {"jwt": "x"}
    assert sorted(str(r.url) for r in requests_seen(httpx_mock, 3)) == sorted(
        [PROJECT_URL, TOKEN_URL, CHECK_MISSING_URL]
    )


def test_the_upload_token_is_read_beside_the_project_and_left_unused_when_there_is_no_project(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, status_code=404, json={"success": False, "errors": []})
    httpx_mock.add_response(url=TOKEN_URL, status_code=404, json={"success": False, "errors": []})
    head_start.start(raw_inputs(tmp_path), {})

    assert get(PROJECT_URL).status_code == 404
    assert sorted(str(r.url) for r in requests_seen(httpx_mock, 2)) == [PROJECT_URL, TOKEN_URL]


def test_an_early_answer_is_not_used_after_the_run_writes(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {"v": 1}})
    # read or not, depending on whether the write comes before the project's answer
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}}, is_optional=True)
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []}, is_optional=True)
    httpx_mock.add_response(method="POST", url=f"{API}/anything", json={})
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {"v": 2}})
    head_start.start(raw_inputs(tmp_path), {})
    assert head_start.pending()

    with http.new_client() as client:
        http.send(client, "POST", f"{API}/anything", json={})
    assert not head_start.pending()
    assert get(PROJECT_URL).json()["result"] == {"v": 2}


def test_a_rate_limited_early_answer_is_sent_again_with_the_runs_retries(
    tmp_path: Path, httpx_mock: HTTPXMock, fake_retry_time: object
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, status_code=429, headers={"Retry-After": "1"})
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {"name": "shop"}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}}, is_optional=True)
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []}, is_optional=True)
    head_start.start(raw_inputs(tmp_path), {})

    assert get(PROJECT_URL).status_code == 200
    assert [r.method for r in httpx_mock.get_requests() if str(r.url) == PROJECT_URL] == ["GET", "GET"]


def test_a_request_that_differs_in_its_token_is_not_answered_early(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}}, is_reusable=True)
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}}, is_optional=True)
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []}, is_optional=True)
    head_start.start(raw_inputs(tmp_path), {})
    assert head_start.pending()

    with http.new_client() as client:
        http.send(client, "GET", PROJECT_URL, headers={"Authorization": "Bearer another_token"})
    assert len([r for r in httpx_mock.get_requests() if str(r.url) == PROJECT_URL]) == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"timeout": "soon"},
        {"token": "tok en"},
        {"api-url": "ftp://example.com"},
        {"env": "KEY: [1, 2"},
        {"artifact": "missing"},
        {"working-directory": "/nowhere/at/all"},
        {"command": "cleanup"},
        {"artifact": "site.zip"},
        {"project": ""},
    ],
    ids=repr,
)
def test_nothing_is_sent_early_for_bad_input_or_anything_but_a_folder_deploy(
    overrides: dict[str, str], tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    (tmp_path / "site.zip").write_bytes(b"PK")
    head_start.start(raw_inputs(tmp_path, **overrides), {})
    assert not head_start.pending()
    assert httpx_mock.get_requests() == []


def test_CI_DEPLOY_HEAD_START_0_turns_it_off(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    head_start.start(raw_inputs(tmp_path), {"CI_DEPLOY_HEAD_START": "0"})
    assert not head_start.pending()
    assert httpx_mock.get_requests() == []


def deploy(
    sandbox: Sandbox, platform: str, project: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> int:
    """One production deploy of a small site through ``ci-deploy action``; its exit code."""
    inputs = platform_inputs(sandbox, platform, project, make_site(tmp_path / "site"))
    result = run_action(
        capsys, tmp_path, event_name="push", event=push_event("refs/heads/main", SHA),
        inputs={**inputs, "environment": "production", "health-check": "false"}, sha=SHA,
        ref="refs/heads/main", env=github_env(sandbox),
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    return result.code


@pytest.mark.parametrize("platform", ["cloudflare-pages", "vercel"])
def test_a_redeploy_through_the_action_reads_its_project_once_and_early(
    platform: str,
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deploy(sandbox, platform, "early", tmp_path / "first", capsys)
    used: list[str] = []
    claim = head_start.HeadStart.claim

    def recorded(self: head_start.HeadStart, request: httpx.Request) -> httpx.Response | None:
        answer = claim(self, request)
        if answer is not None:
            used.append(request.url.path)
        return answer

    monkeypatch.setattr(head_start.HeadStart, "claim", recorded)
    mark = sandbox.world.requests.last
    deploy(sandbox, platform, "early", tmp_path / "second", capsys)
    reads = [e.path for e in sandbox.log(mark) if e.endpoint.endswith(("projects.get", "assets.token"))]
    assert len(reads) == len(set(reads))  # nothing read twice
    assert used and used[0].endswith("/early")  # the project read was answered early


def test_an_early_read_that_fails_is_sent_again_and_the_deploy_goes_on(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_retry_time: object
) -> None:
    deploy(sandbox, "cloudflare-pages", "shaky", tmp_path / "first", capsys)
    sandbox.inject("status=500@cloudflare.projects.get,count=1")
    mark = sandbox.world.requests.last
    deploy(sandbox, "cloudflare-pages", "shaky", tmp_path / "second", capsys)
    log = sandbox.log(mark)
    assert [e.status for e in log if e.endpoint == "cloudflare.projects.get"] == [500, 200]
    assert len([e for e in log if e.endpoint == "cloudflare.deployments.create"]) == 1


def test_the_clients_of_the_early_reads_are_closed_with_the_head_start(
    tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {"name": "shop"}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []}, is_optional=True)
    clients: list[httpx.Client] = []
    monkeypatch.setattr(head_start.HeadStart, "offer", _recording(head_start.HeadStart.offer, clients))
    head_start.start(raw_inputs(tmp_path), {})
    assert get(PROJECT_URL).json()["result"] == {"name": "shop"}

    head_start.stop()

    assert clients and all(client.is_closed for client in clients)


def _recording(offer: Callable[..., None], clients: list[httpx.Client]) -> Callable[..., None]:
    def recorded(self: head_start.HeadStart, reads: list[object]) -> None:
        clients.extend(read.client for read in reads)  # type: ignore[attr-defined]
        offer(self, reads)

    return recorded


def folder_hashes(folder: Path) -> list[str]:
    """The distinct hashes the run's own check-missing asks about for ``folder``."""
    site = files.split_site(walk_directory(folder, "dist/"))
    return list(upload.distinct_assets(files.hash_assets(site.assets)))


def check_missing(hashes: list[str], jwt: str = "x") -> httpx.Response:
    """The run's own check-missing, as the asset uploader sends it."""
    with http.new_client() as client:
        return http.send(
            client,
            "POST",
            CHECK_MISSING_URL,
            headers={"Authorization": f"Bearer {jwt}"},
            json={"hashes": hashes},
        )


def test_the_upload_tokens_answer_sends_check_missing_for_the_folder_which_answers_the_runs_own(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    """check-missing changes nothing (the interface lets a dry run send it): it goes out the
    moment the token's JWT comes back, with the folder's hashes worked out meanwhile."""
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": ["abc"]})
    head_start.start(raw_inputs(tmp_path), {})
    hashes = folder_hashes(tmp_path / "dist")

    assert check_missing(hashes).json()["result"] == ["abc"]
    sent = [r for r in requests_seen(httpx_mock, 3) if r.method == "POST"]
    assert len(sent) == 1 and json.loads(sent[0].content) == {"hashes": hashes}
    assert sent[0].headers["Authorization"] == "Bearer x"
    assert head_start.pending()  # a read, not a write: the project's answer is still there


@pytest.mark.parametrize("jwt", ["x", "another"])
def test_a_check_missing_with_other_hashes_or_another_jwt_is_sent_and_counts_as_a_write(
    jwt: str, tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}}, is_reusable=True)
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []}, is_reusable=True)
    head_start.start(raw_inputs(tmp_path), {})
    requests_seen(httpx_mock, 3)
    hashes = folder_hashes(tmp_path / "dist")

    check_missing(hashes[1:] if jwt == "x" else hashes, jwt)
    assert len([r for r in httpx_mock.get_requests() if r.method == "POST"]) == 2
    assert not head_start.pending()


def test_no_check_missing_goes_out_early_for_a_folder_the_run_will_refuse_or_a_token_without_jwt(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {}})
    head_start.start(raw_inputs(tmp_path), {})
    requests_seen(httpx_mock, 2)

    functions = tmp_path / "functions-site"
    make_site(functions).joinpath("functions").mkdir()
    (functions / "functions" / "api.js").write_text("export default {}")
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}})
    head_start.start(raw_inputs(tmp_path, artifact="functions-site"), {})
    time.sleep(0.2)  # the token's answer is in; a follow-up would have gone out with it

    assert [r.method for r in requests_seen(httpx_mock, 4)] == ["GET"] * 4


def test_the_adapter_takes_the_head_starts_hashes_only_for_the_same_files_of_the_same_run(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    httpx_mock.add_response(url=CHECK_MISSING_URL, json={"success": True, "result": []})
    head_start.start(raw_inputs(tmp_path), {})
    requests_seen(httpx_mock, 3)

    def site() -> files.SiteFiles:
        return files.split_site(walk_directory(tmp_path / "dist", "dist/"))

    page = tmp_path / "dist" / "index.html"
    original = page.read_text()
    assert early_reads.hashed_assets(site()) == files.hash_assets(site().assets)
    page.write_text(original + " and more")
    assert early_reads.hashed_assets(site()) is None
    page.write_text(original)
    assert early_reads.hashed_assets(site()) is not None
    head_start.stop()
    assert early_reads.hashed_assets(site()) is None  # the run is over


def test_a_cloudflare_redeploy_asks_check_missing_once_the_moment_the_upload_token_is_in(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(sandbox, "cloudflare-pages", "asks", tmp_path / "first", capsys)
    mark = sandbox.world.requests.last
    deploy(sandbox, "cloudflare-pages", "asks", tmp_path / "second", capsys)

    log = sandbox.log(mark)
    endpoints = [e.endpoint for e in log]
    token = next(e for e in log if e.endpoint == "cloudflare.assets.token")
    asked = [e for e in log if e.endpoint == "cloudflare.assets.check_missing"]
    assert len(asked) == 1 and endpoints.count("cloudflare.assets.token") == 1
    assert asked[0].time - asked[0].duration_ms / 1000 >= token.time  # sent from the token's answer
    assert endpoints.count("cloudflare.deployments.create") == 1


def test_a_run_that_stops_with_exit_2_after_an_early_check_missing_has_changed_nothing(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A preview on the project's own production branch ('main', where the input says
    'release') is found only once the project is read: the reads sent before (check-missing
    among them) changed nothing."""
    deploy(sandbox, "cloudflare-pages", "refused", tmp_path / "first", capsys)
    mark = sandbox.world.requests.last
    inputs = platform_inputs(sandbox, "cloudflare-pages", "refused", make_site(tmp_path / "second" / "site"))
    result = run_action(
        capsys, tmp_path / "second", event_name="push", event=push_event("refs/heads/main", SHA),
        inputs={**inputs, "environment": "preview", "branch": "main", "production-branch": "release",
                "health-check": "false"}, sha=SHA,
        ref="refs/heads/main", env=github_env(sandbox),
    )  # fmt: skip

    assert result.code == 2, result.stdout + result.stderr
    assert "it is the Pages project's production branch" in result.stdout
    platform_calls = [e for e in sandbox.log(mark) if e.endpoint.startswith("cloudflare.")]
    assert "cloudflare.assets.check_missing" in [e.endpoint for e in platform_calls]
    assert {e.method for e in platform_calls if e.endpoint != "cloudflare.assets.check_missing"} == {"GET"}


@pytest.mark.parametrize("limit", ["EARLY_MAX_FILES", "EARLY_MAX_LISTED"])
def test_a_folder_too_large_to_hash_ahead_gets_no_early_check_missing(
    limit: str, tmp_path: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing runs on the main thread before the run's own checks: past the limits the round
    trip saved is small beside it, and a large folder is not even listed whole."""
    monkeypatch.setattr(early_reads, limit, 1)
    httpx_mock.add_response(url=PROJECT_URL, json={"success": True, "result": {}})
    httpx_mock.add_response(url=TOKEN_URL, json={"success": True, "result": {"jwt": "x"}})
    head_start.start(raw_inputs(tmp_path), {})
    time.sleep(0.2)  # the token's answer is in; a follow-up would have gone out with it

    assert [r.method for r in requests_seen(httpx_mock, 2)] == ["GET", "GET"]
