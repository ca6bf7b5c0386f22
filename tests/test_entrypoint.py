"""The container's ENTRYPOINT, run the way GitHub runs a Docker action: every input as an
``INPUT_*`` variable (hyphens kept), file commands and the event on disk, the workspace as the
working directory, and earlier steps' PATH/PYTHONPATH leaking in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import action_defaults, make_site, parse_github_output, push_event

from ci_deploy import cli, shutdown
from ci_deploy_sandbox.runtime import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def entrypoint() -> list[str]:
    """The Dockerfile's ENTRYPOINT, with this test's interpreter for the image's one."""
    line = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("ENTRYPOINT")
    )
    command: list[str] = json.loads(line.removeprefix("ENTRYPOINT"))
    assert command[0] == "/usr/local/bin/python"  # an absolute interpreter: PATH cannot pick another
    return [sys.executable, *command[1:]]


def test_the_entrypoint_runs_a_dry_run_from_input_variables_despite_a_hostile_pythonpath(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "workspace"
    make_site(workspace / "dist")
    for shadow in (tmp_path / "leaked", workspace):  # a module named like ours on PYTHONPATH and in the cwd
        (shadow / "ci_deploy").mkdir(parents=True)
        (shadow / "ci_deploy" / "__init__.py").write_text("raise SystemExit('shadowed ci_deploy imported')")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(push_event("refs/heads/main", "f" * 40)))
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.touch()
    summary.touch()
    inputs = {**action_defaults(), "platform": "cloudflare-pages", "project": "shop", "dry-run": "true"}
    env = {
        "PATH": "/nonexistent:/usr/bin:/bin",
        "PYTHONPATH": str(tmp_path / "leaked"),
        "HOME": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SHA": "f" * 40,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
    }
    done = subprocess.run(entrypoint(), cwd=workspace, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "shadowed" not in done.stderr
    outputs = parse_github_output(output.read_text())
    assert outputs["deployed"] == "false" and outputs["environment"] == "production"
    assert "Plan" in summary.read_text()


def test_a_run_that_skips_interpreter_teardown_still_writes_all_its_output(tmp_path: Path) -> None:
    """``python -m ci_deploy`` exits with os._exit after flushing: stdout to a pipe is block
    buffered (no ``-u`` here), so a missed flush would lose the plan; the outputs file is whole."""
    site = tmp_path / "dist"
    make_site(site, files=400)
    output = tmp_path / "output"
    output.touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    argv = [sys.executable, "-I", "-m", "ci_deploy", "plan", str(site), "--platform", "vercel"]
    argv += ["--project", "shop", "--environment", "preview", "--branch", "feature"]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Plan (dry run: nothing is changed)")
    assert "402 files" in done.stdout and done.stdout.endswith("health check  /\n")
    outputs = parse_github_output(output.read_text())
    assert outputs["deployed"] == "false" and outputs["environment"] == "preview"
    assert "Plan" in (tmp_path / "summary").read_text()


def test_the_entrypoint_turns_pydantic_plugins_off_unless_the_environment_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Looking for plugins reads every installed distribution's entry points on the way to the
    first write; an explicit ``PYDANTIC_DISABLE_PLUGINS`` is the user's and is kept."""
    monkeypatch.setattr(cli, "main", lambda: 0)
    monkeypatch.setattr(shutdown, "exit_without_teardown", lambda code: sys.exit(code))
    seen = []
    for chosen in (None, "logfire"):
        if chosen is None:
            monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
        else:
            monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", chosen)
        with pytest.raises(SystemExit):
            cli.entrypoint()
        seen.append(os.environ["PYDANTIC_DISABLE_PLUGINS"])

    assert seen == ["__all__", "logfire"]


def deploy_command(site: Path, platform: str) -> list[str]:
    return [sys.executable, "-m", "ci_deploy", "deploy", str(site), "--platform", platform]


@pytest.mark.parametrize(
    ("platform", "host"), [("cloudflare-pages", "unread.pages"), ("vercel", "unread.vercel")]
)
def test_a_deploy_whose_output_nobody_reads_still_finishes_and_succeeds(
    platform: str, host: str, sandbox: Sandbox, tmp_path: Path, http_get: Callable[..., httpx.Response]
) -> None:
    """Standard output and error into a pipe whose reader has exited (``2>&1 | head -1``): every
    line the run writes meets a broken pipe. The run used to stop at the first, wherever it was."""
    site = make_site(tmp_path / "dist", marker="unread")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **sandbox.env()}
    argv = [*deploy_command(site, platform), "--project", "unread", "--health-check", "false"]
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(argv, env=env, stdout=writer, stderr=writer, timeout=120, check=False)
    finally:
        os.close(writer)

    assert done.returncode == 0
    assert "build unread" in http_get(sandbox.site_url(f"{host}.localhost")).text


def test_a_deploy_whose_url_nobody_reads_says_so_on_stderr_and_succeeds(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    site = make_site(tmp_path / "dist")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **sandbox.env()}
    argv = [*deploy_command(site, "cloudflare-pages"), "--project", "shop", "--health-check", "false"]
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader is gone before the URL comes
        errors = process.stderr.read()
    assert process.returncode == 0, errors
    url = sandbox.site_url("shop.pages.localhost").rstrip("/")
    assert f"standard output could not be written, so the URL was not printed there: {url}" in errors
    assert "Traceback" not in errors


EXIT_SCRIPT = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
from ci_deploy import shutdown

class Witness:
    def __del__(self):
        sys.stderr.write("teardown ran\\n")

witness = Witness()
shutdown.THREAD_GRACE = 0.5
pool = ThreadPoolExecutor(max_workers=1)
pool.submit(time.sleep, float(sys.argv[1]))
pool.shutdown(wait=False)
shutdown.exit_without_teardown(3)
"""


@pytest.mark.parametrize(("work_s", "teardown"), [(0.2, False), (1.5, True)])
def test_a_thread_still_ending_at_exit_is_waited_for_not_paid_for_with_the_whole_teardown(
    work_s: float, teardown: bool
) -> None:
    """A pool shut down without waiting (the hashing that runs ahead) has a thread that is
    about to end: the exit waits for it and still skips teardown. One that runs on past the
    grace gets the ordinary exit, which waits for it."""
    argv = [sys.executable, "-c", EXIT_SCRIPT, str(work_s)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)

    assert done.returncode == 3
    assert ("teardown ran" in done.stderr) is teardown
