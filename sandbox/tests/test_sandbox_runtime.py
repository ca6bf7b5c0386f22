"""Running the sandbox: URLs and settings it hands out, API discovery, the foreground banner."""

from __future__ import annotations

import io
import json
import re
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from ci_deploy_sandbox import identities
from ci_deploy_sandbox.app import ApiEmulator
from ci_deploy_sandbox.runtime import (
    API_CLASSES,
    Sandbox,
    banner,
    discover_apis,
    parse_setting,
    pull_request_lines,
    run_foreground,
)


def test_env_names_every_setting_of_the_contract(core_sandbox: Sandbox) -> None:
    env = core_sandbox.env()
    port = core_sandbox.port
    assert env["CLOUDFLARE_API_BASE_URL"] == f"http://127.0.0.1:{port}/client/v4"
    assert env["VERCEL_API_URL"] == f"http://127.0.0.1:{port}"
    assert env["GITHUB_API_URL"] == f"http://127.0.0.1:{port}/api/v3"
    assert env["CLOUDFLARE_ACCOUNT_ID"] == identities.CLOUDFLARE_ACCOUNT_ID
    assert env["VERCEL_ORG_ID"].startswith("team_")
    for name in ("CLOUDFLARE_API_TOKEN", "VERCEL_TOKEN", "GITHUB_TOKEN"):
        assert re.fullmatch(r"\w+", env[name]), name


def test_identities_have_the_shapes_clients_check() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", identities.CLOUDFLARE_ACCOUNT_ID)
    assert identities.GITHUB_TOKEN.startswith("ghs_") and identities.GITHUB_PAT.startswith("ghp_")
    assert all(
        re.fullmatch(r"\w+", token) for token in (identities.CLOUDFLARE_TOKEN, identities.VERCEL_TOKEN)
    )


def test_banner_prints_export_lines_then_where_sites_live_as_a_comment(core_sandbox: Sandbox) -> None:
    lines = banner(core_sandbox)
    assert lines[0].startswith("export CLOUDFLARE_API_BASE_URL=http://127.0.0.1:")
    assert lines[-1] == f"# sites: http://<host>.localhost:{core_sandbox.port}/"
    assert all(re.fullmatch(r"export [A-Z_]+=\S+", line) for line in lines[:-1])
    shell = subprocess.run(
        ["sh", "-c", "\n".join([*lines, 'printf %s "$VERCEL_ORG_ID $SANDBOX_CONTROL_URL"'])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shell.stdout == f"{core_sandbox.env()['VERCEL_ORG_ID']} {core_sandbox.control_url}"


def test_a_pull_request_is_opened_with_its_event_file_and_run_variables(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as sandbox:
        lines = pull_request_lines(sandbox, 7)
        assert lines[0] == f"# pull request #7 is open: {sandbox.github_api_url}/repos/acme/shop/pulls/7"
        variables = dict(line.removeprefix("export ").split("=", 1) for line in lines[1:])
        event = json.loads(Path(variables["GITHUB_EVENT_PATH"]).read_text())
        assert (variables["GITHUB_EVENT_NAME"], event["action"], event["number"]) == (
            "pull_request",
            "opened",
            7,
        )
        assert variables["GITHUB_SHA"] == event["pull_request"]["head"]["sha"]
        headers = {"Authorization": f"Bearer {identities.GITHUB_TOKEN}"}
        pull = httpx.get(f"{sandbox.github_api_url}/repos/acme/shop/pulls/7", headers=headers).json()
        assert (pull["head"]["ref"], pull["head"]["sha"]) == ("pr-7", variables["GITHUB_SHA"])


def test_the_control_api_opens_a_pull_request_and_answers_its_event() -> None:
    with Sandbox() as sandbox, httpx.Client(base_url=sandbox.control_url) as client:
        opened = client.post("/github/pulls", json={"number": 3, "repository": "o/r", "head_ref": "feat"})
        assert opened.status_code == 201
        assert (opened.json()["pull_request"]["head"]["ref"], opened.json()["repository"]["full_name"]) == (
            "feat",
            "o/r",
        )
        assert client.post("/github/pulls", json={"number": "x"}).status_code == 400
        assert client.post("/github/pulls", json={"number": 3, "repository": "nope"}).status_code == 400


def test_discovery_finds_the_api_modules_that_exist() -> None:
    found = discover_apis()
    assert {cls.name for cls in found} <= set(API_CLASSES)
    assert all(issubclass(cls, ApiEmulator) for cls in found)


def test_discovery_reports_a_broken_api_module_instead_of_skipping_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    def broken(name: str) -> object:
        raise ModuleNotFoundError("No module named 'leftpad'", name="leftpad")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        discover_apis()


def test_python_shortcuts_act_on_the_same_objects_as_the_control_api(core_sandbox: Sandbox) -> None:
    core_sandbox.set("cloudflare.deploy_delay_ms", 5)
    core_sandbox.inject("status=500@cloudflare.*,count=1")
    with httpx.Client(base_url=core_sandbox.origin) as client:
        assert client.get("/_sandbox/settings").json() == {"cloudflare.deploy_delay_ms": 5}
        assert client.get("/client/v4/items").status_code == 500
    core_sandbox.clear_faults()
    assert core_sandbox.world.faults.active() == []
    core_sandbox.reset_counters()
    assert core_sandbox.counters()["requests"] == 0


class Announced(io.StringIO):
    """An output that tells when the banner has been flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed = threading.Event()

    def flush(self) -> None:
        super().flush()
        self.flushed.set()


def test_run_foreground_prints_the_banner_and_serves_until_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_apis: Sequence[type[ApiEmulator]]
) -> None:
    monkeypatch.setattr("ci_deploy_sandbox.runtime.discover_apis", lambda: list(fake_apis))
    out, stop = Announced(), threading.Event()
    args = (Sandbox(tmp_path, 0, ["latency=0"], {"a": 1}), out, stop)
    thread = threading.Thread(target=run_foreground, args=args)
    thread.start()
    assert out.flushed.wait(10)
    lines = out.getvalue().splitlines()
    port = lines[0].rsplit(":", 1)[1].split("/")[0]
    with httpx.Client() as client:
        assert client.get(f"http://127.0.0.1:{port}/_sandbox/settings").json() == {"a": 1}
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert lines[-1] == f"# sites: http://<host>.localhost:{port}/"
    assert (tmp_path / "state.json").exists()


def test_parse_setting_reads_json_values_and_falls_back_to_text() -> None:
    assert parse_setting("vercel.build_delay_ms=2000") == ("vercel.build_delay_ms", 2000)
    assert parse_setting("x=true") == ("x", True)
    assert parse_setting("name=some text") == ("name", "some text")
    with pytest.raises(ValueError):
        parse_setting("novalue")
