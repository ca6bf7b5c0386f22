"""The head start: a deploy's first reads go out while start-up goes on, are used once, only for
the very request the run sends, never after a write, and never for bad input."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from http.client import HTTPConnection, NotConnected
from pathlib import Path

import httpx
import pytest
from action_harness import github_env, make_site, platform_inputs, push_event, run_action
from scripted_server import Reply, Seen, Serve, scripted_servers, self_signed_tls

from ci_deploy import USER_AGENT, first_reads, head_start, http
from ci_deploy.artifact import walk_directory
from ci_deploy.platforms.cloudflare_pages import early_reads, files, upload
from ci_deploy_sandbox.runtime import Sandbox

SHA = "c" * 40
ACCOUNT = "0123456789abcdef0123456789abcdef"
OK = {"success": True, "result": {}}
SHOP = {"success": True, "result": {"name": "shop"}}
JWT = {"success": True, "result": {"jwt": "x"}}
NONE_MISSING = {"success": True, "result": []}
NOT_FOUND = {"success": False, "errors": [{"code": 8000007, "message": "Project not found"}]}


class ScriptedApi:
    """A Cloudflare API on a real socket (the early reads go out through ``http.client``, the
    run's own through httpx): each URL answers its replies in turn, the last one again; an
    unscripted URL answers 404. Every request is kept, early or not."""

    def __init__(self, serve: Serve, tls: ssl.SSLContext | None = None) -> None:
        self._replies: dict[str, list[Reply]] = {}
        self.server = serve(self._answer, tls)
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.port}"
        self.url = f"{self.origin}/client/v4"
        self.project = f"{self.url}/accounts/{ACCOUNT}/pages/projects/shop"
        self.token = f"{self.project}/upload-token"
        self.check_missing = f"{self.url}/pages/assets/check-missing"

    def reply(self, url: str, body: object, status: int = 200, headers: dict[str, str] | None = None) -> None:
        reply = (status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode())
        self._replies.setdefault(url, []).append(reply)

    def _answer(self, seen: Seen, n: int) -> Reply:
        replies = self._replies.get(self.origin + seen.path)
        if not replies:
            return 404, {"Content-Type": "application/json"}, json.dumps(NOT_FOUND).encode()
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def requests(self, count: int = 0) -> list[Seen]:
        """The requests received so far, once there are ``count`` (early reads answer on their
        own threads)."""
        deadline = time.monotonic() + 5
        while len(self.server.seen) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return list(self.server.seen)

    def sent(self, url: str, count: int = 0) -> list[str]:
        """The methods of the requests ``url`` received."""
        return [seen.method for seen in self.requests(count) if self.origin + seen.path == url]


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with scripted_servers() as serve:
        yield ScriptedApi(serve)


@pytest.fixture(autouse=True)
def no_head_start_left() -> object:
    yield
    head_start.stop()


def raw_inputs(tmp_path: Path, api: ScriptedApi, **overrides: str) -> dict[str, str]:
    make_site(tmp_path / "dist")
    inputs = {
        "platform": "cloudflare-pages",
        "project": "shop",
        "token": "cf_token_head_start",
        "account": ACCOUNT,
        "api-url": api.url,
        "working-directory": str(tmp_path),
    }
    return {**inputs, **overrides}


def all_answered_early(tmp_path: Path, api: ScriptedApi, project: object = OK) -> None:
    """A head start whose project read (answered ``project``), upload token and check-missing
    have all been answered."""
    api.reply(api.project, project)
    api.reply(api.token, JWT)
    api.reply(api.check_missing, NONE_MISSING)
    head_start.start(raw_inputs(tmp_path, api), {})
    api.requests(3)


def get(url: str, token: str = "cf_token_head_start") -> httpx.Response:
    """The run's own GET of ``url``, as an adapter sends it (token in the header)."""
    with http.new_client() as client:
        return http.send(client, "GET", url, headers={"Authorization": f"Bearer {token}"})


def test_the_project_read_goes_out_at_start_and_answers_the_runs_own_request(
    tmp_path: Path, api: ScriptedApi
) -> None:
    all_answered_early(tmp_path, api, SHOP)

    assert get(api.project).json()["result"] == {"name": "shop"}
    assert get(api.token).json()["result"] == {"jwt": "x"}
    seen = api.requests(3)
    assert sorted(api.origin + r.path for r in seen) == sorted([api.project, api.token, api.check_missing])
    assert {r.headers["authorization"] for r in seen if r.method == "GET"} == {"Bearer cf_token_head_start"}
    assert {r.headers["user-agent"] for r in seen} == {USER_AGENT}


def test_the_upload_token_is_read_beside_the_project_and_left_unused_when_there_is_no_project(
    tmp_path: Path, api: ScriptedApi
) -> None:
    head_start.start(raw_inputs(tmp_path, api), {})

    assert get(api.project).status_code == 404
    assert sorted(api.origin + r.path for r in api.requests(2)) == [api.project, api.token]


def test_an_early_answer_is_not_used_after_the_run_writes(tmp_path: Path, api: ScriptedApi) -> None:
    api.reply(api.project, {"success": True, "result": {"v": 1}})
    api.reply(api.project, {"success": True, "result": {"v": 2}})
    api.reply(f"{api.url}/anything", {})
    head_start.start(raw_inputs(tmp_path, api), {})
    assert head_start.pending()

    with http.new_client() as client:
        http.send(client, "POST", f"{api.url}/anything", json={})
    assert not head_start.pending()
    assert get(api.project).json()["result"] == {"v": 2}


def test_a_rate_limited_early_answer_is_sent_again_with_the_runs_retries(
    tmp_path: Path, api: ScriptedApi, fake_retry_time: object
) -> None:
    api.reply(api.project, {"success": False, "errors": []}, status=429, headers={"Retry-After": "1"})
    api.reply(api.project, SHOP)
    head_start.start(raw_inputs(tmp_path, api), {})

    assert get(api.project).status_code == 200
    assert api.sent(api.project) == ["GET", "GET"]


def test_a_request_that_differs_in_its_token_is_not_answered_early(tmp_path: Path, api: ScriptedApi) -> None:
    api.reply(api.project, OK)
    head_start.start(raw_inputs(tmp_path, api), {})
    assert head_start.pending()

    get(api.project, token="another_token")
    assert api.sent(api.project) == ["GET", "GET"]


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
    overrides: dict[str, str], tmp_path: Path, api: ScriptedApi
) -> None:
    (tmp_path / "site.zip").write_bytes(b"PK")
    head_start.start(raw_inputs(tmp_path, api, **overrides), {})
    assert not head_start.pending()
    time.sleep(0.05)
    assert api.requests() == []


def test_CI_DEPLOY_HEAD_START_0_turns_it_off(tmp_path: Path, api: ScriptedApi) -> None:
    head_start.start(raw_inputs(tmp_path, api), {"CI_DEPLOY_HEAD_START": "0"})
    assert not head_start.pending()
    assert api.requests() == []


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_means_no_head_start_for_httpx_would_send_through_it(
    variable: str, tmp_path: Path, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "http://proxy.internal:3128")
    head_start.start(raw_inputs(tmp_path, api), {})
    assert not head_start.pending()
    assert api.requests() == []


def test_an_early_read_over_https_verifies_the_certificate_as_the_runs_own_requests_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_tls, certificate = self_signed_tls(tmp_path)
    with scripted_servers() as serve:
        api = ScriptedApi(serve, server_tls)
        api.reply(api.project, SHOP)
        api.reply(api.token, JWT)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        head_start.start(raw_inputs(tmp_path, api), {})
        assert get(api.project).json()["result"] == {"name": "shop"}
        early = [r.method for r in api.requests(3)]  # project, token, check-missing; not the run's
        assert sorted(early) == ["GET", "GET", "POST"]

        monkeypatch.delenv("SSL_CERT_FILE")  # certifi's bundle: the certificate is not trusted
        head_start.start(raw_inputs(tmp_path, api), {})
        time.sleep(0.2)
        assert len(api.requests()) == 3  # no early read got through the handshake


def test_a_localhost_name_over_https_gets_no_head_start(tmp_path: Path, api: ScriptedApi) -> None:
    """Its certificate names the host; an early read would reach 127.0.0.1 by that name."""
    head_start.start(
        raw_inputs(tmp_path, api, **{"api-url": "https://api.cloudflare.localhost:1/client/v4"}), {}
    )
    assert not head_start.pending()


def test_a_plain_http_localhost_name_is_read_early_on_127_0_0_1_with_its_host_header(
    tmp_path: Path, api: ScriptedApi
) -> None:
    named = api.url.replace("127.0.0.1", "api.cloudflare.localhost")
    api.reply(api.project, SHOP)
    head_start.start(raw_inputs(tmp_path, api, **{"api-url": named}), {})

    assert get(api.project.replace(api.url, named)).json()["result"] == {"name": "shop"}
    project_reads = [r for r in api.requests(2) if api.origin + r.path == api.project]
    assert [r.headers["host"] for r in project_reads] == [f"api.cloudflare.localhost:{api.server.port}"]


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


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[HTTPConnection]:
    """Every connection the early reads open, in order."""
    opened: list[HTTPConnection] = []
    connect = first_reads.connection_for

    def recorded(origin: first_reads.Origin) -> HTTPConnection:
        opened.append(connect(origin))
        return opened[-1]

    monkeypatch.setattr(first_reads, "connection_for", recorded)
    return opened


def test_the_connections_of_the_early_reads_are_closed_with_the_head_start_and_stay_closed(
    tmp_path: Path, api: ScriptedApi, connections: list[HTTPConnection]
) -> None:
    all_answered_early(tmp_path, api, SHOP)
    assert get(api.project).json()["result"] == {"name": "shop"}
    assert len(connections) == 2  # check-missing went out on the upload token's connection
    assert all(connection.sock is not None for connection in connections)

    head_start.stop()

    assert all(connection.sock is None for connection in connections)
    for connection in connections:  # a follow-up still on its way would not reopen one
        with pytest.raises(NotConnected):
            connection.request("GET", "/client/v4/late")
    assert len(api.requests()) == 3


def test_check_missing_goes_out_early_on_a_new_connection_when_the_server_closed_the_tokens(
    tmp_path: Path, api: ScriptedApi, connections: list[HTTPConnection]
) -> None:
    api.reply(api.project, OK)
    api.reply(api.token, JWT, headers={"Connection": "close"})
    api.reply(api.check_missing, NONE_MISSING)
    head_start.start(raw_inputs(tmp_path, api), {})

    assert sorted(r.method for r in api.requests(3)) == ["GET", "GET", "POST"]
    assert len(connections) == 3


def folder_hashes(folder: Path) -> list[str]:
    """The distinct hashes the run's own check-missing asks about for ``folder``."""
    site = files.split_site(walk_directory(folder, "dist/"))
    return list(upload.distinct_assets(files.hash_assets(site.assets)))


def check_missing(api: ScriptedApi, hashes: list[str], jwt: str = "x") -> httpx.Response:
    """The run's own check-missing, as the asset uploader sends it."""
    with http.new_client() as client:
        return http.send(
            client,
            "POST",
            api.check_missing,
            headers={"Authorization": f"Bearer {jwt}"},
            json={"hashes": hashes},
        )


def test_the_upload_tokens_answer_sends_check_missing_for_the_folder_which_answers_the_runs_own(
    tmp_path: Path, api: ScriptedApi
) -> None:
    """check-missing changes nothing (the interface lets a dry run send it): it goes out the
    moment the token's JWT comes back, with the folder's hashes worked out meanwhile. Its body
    is the run's own byte for byte, or the run's request would not take its answer."""
    api.reply(api.project, OK)
    api.reply(api.token, JWT)
    api.reply(api.check_missing, {"success": True, "result": ["abc"]})
    head_start.start(raw_inputs(tmp_path, api), {})
    hashes = folder_hashes(tmp_path / "dist")

    assert check_missing(api, hashes).json()["result"] == ["abc"]
    sent = [r for r in api.requests(3) if r.method == "POST"]
    assert len(sent) == 1 and json.loads(sent[0].body) == {"hashes": hashes}
    assert sent[0].headers["authorization"] == "Bearer x"
    assert sent[0].headers["content-type"] == "application/json"
    assert head_start.pending()  # a read, not a write: the project's answer is still there


@pytest.mark.parametrize("jwt", ["x", "another"])
def test_a_check_missing_with_other_hashes_or_another_jwt_is_sent_and_counts_as_a_write(
    jwt: str, tmp_path: Path, api: ScriptedApi
) -> None:
    all_answered_early(tmp_path, api)
    hashes = folder_hashes(tmp_path / "dist")

    check_missing(api, hashes[1:] if jwt == "x" else hashes, jwt)
    assert api.sent(api.check_missing) == ["POST", "POST"]
    assert not head_start.pending()


def test_no_check_missing_goes_out_early_for_a_folder_the_run_will_refuse_or_a_token_without_jwt(
    tmp_path: Path, api: ScriptedApi
) -> None:
    api.reply(api.project, OK)
    api.reply(api.token, OK)  # no JWT in it
    api.reply(api.token, JWT)
    head_start.start(raw_inputs(tmp_path, api), {})
    api.requests(2)

    functions = tmp_path / "functions-site"
    make_site(functions).joinpath("functions").mkdir()
    (functions / "functions" / "api.js").write_text("export default {}")
    head_start.start(raw_inputs(tmp_path, api, artifact="functions-site"), {})
    time.sleep(0.2)  # the token's answer is in; a follow-up would have gone out with it

    assert [r.method for r in api.requests(4)] == ["GET"] * 4


def test_the_adapter_takes_the_head_starts_hashes_only_for_the_same_files_of_the_same_run(
    tmp_path: Path, api: ScriptedApi
) -> None:
    all_answered_early(tmp_path, api)

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
    limit: str, tmp_path: Path, api: ScriptedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing runs on the main thread before the run's own checks: past the limits the round
    trip saved is small beside it, and a large folder is not even listed whole."""
    monkeypatch.setattr(early_reads, limit, 1)
    api.reply(api.project, OK)
    api.reply(api.token, JWT)
    head_start.start(raw_inputs(tmp_path, api), {})
    time.sleep(0.2)  # the token's answer is in; a follow-up would have gone out with it

    assert [r.method for r in api.requests(2)] == ["GET", "GET"]
