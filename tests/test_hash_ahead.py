"""Hashing ahead (``ci_deploy.hash_ahead``): a child process works out a folder's SHA-1s while the
run imports; the run takes them only for the very files it lists (same place on disk, same
size), hashes anything else itself, and never leaves the child running."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from action_harness import make_site, platform_inputs, run_push

from ci_deploy import hash_ahead, head_start
from ci_deploy.artifact import walk_directory
from ci_deploy.platforms.vercel import files
from ci_deploy_sandbox.runtime import Sandbox

SHA = "d" * 40


@pytest.fixture(autouse=True)
def nothing_left_running() -> Iterator[None]:
    yield
    hash_ahead.stop()


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def child(folder: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-I", "-m", "ci_deploy.hash_ahead", str(folder)], capture_output=True, check=False
    )


def test_the_child_names_every_regular_file_by_its_real_place_with_size_and_sha1(tmp_path: Path) -> None:
    site = make_site(tmp_path / "real" / "dist")
    os.symlink(site / "index.html", site / "home.html")  # not hashed twice: the run reads index.html
    os.symlink(tmp_path / "real", tmp_path / "alias")

    result = child(tmp_path / "alias" / "dist")

    assert result.returncode == 0
    records = [record.split(b" ", 2) for record in result.stdout.split(b"\0")[:-1]]
    assert len(records) == 5
    listed = walk_directory(tmp_path / "alias" / "dist", "dist").files  # the run's own names for them
    expected = {str(f.source): (f.size, sha1(f.source)) for f in listed}
    assert {os.fsdecode(path): (int(size), sha.decode()) for sha, size, path in records} == expected


@pytest.mark.parametrize(("limit", "value"), [("MAX_FILES", 3), ("MAX_BYTES", 1000)])
def test_the_child_hashes_nothing_past_its_limits(
    limit: str,
    value: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    site = make_site(tmp_path / "dist", files=4)  # 6 files, ~1.2 KB
    hashed: list[str] = []
    monkeypatch.setattr(hash_ahead, limit, value)
    monkeypatch.setattr(hash_ahead, "_sha1", lambda path: hashed.append(path) or b"")

    assert hash_ahead.main([str(site)]) == 3
    assert hashed == [] and capsysbinary.readouterr().out == b""


def test_the_run_takes_the_childs_sha1_for_the_same_file_at_the_same_size_only(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    listed = {f.path: f for f in walk_directory(site, "dist").files}
    hash_ahead.start(site)
    index = listed["index.html"]
    assert hash_ahead.sha1_of(index.source, index.size) == sha1(index.source)
    assert hash_ahead.sha1_of(index.source, index.size + 1) is None  # grown since: hashed again
    assert hash_ahead.sha1_of(site / "nowhere.html", 1) is None
    hash_ahead.stop()
    assert hash_ahead.sha1_of(index.source, index.size) is None  # the run is over


def test_vercels_hashing_uses_the_child_and_hashes_itself_what_changed_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path / "dist")
    hash_ahead.start(site)
    assert hash_ahead.sha1_of(site / "index.html", (site / "index.html").stat().st_size)  # answered
    (site / "index.html").write_text("rebuilt, longer than before")
    read: list[str] = []
    read_whole = files.read_whole
    monkeypatch.setattr(files, "read_whole", lambda file: read.append(file.path) or read_whole(file))

    layout = files.detect_layout(walk_directory(site, "dist"))
    entries = files.hash_layout(layout)

    assert read == ["index.html"]
    assert {e.path: e.sha for e in entries} == {path: sha1(f.source) for path, f in layout.files}


def test_a_child_that_fails_leaves_the_hashing_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path / "dist")
    index = site / "index.html"
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    hash_ahead.start(site)  # no child at all
    assert hash_ahead.sha1_of(index, index.stat().st_size) is None
    monkeypatch.undo()
    hash_ahead.start(tmp_path / "no such folder")  # a child that exits with an error
    assert hash_ahead.sha1_of(index, index.stat().st_size) is None


@pytest.fixture
def slow_children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Children that never answer (a minute's sleep), kept to look at."""
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def slow_child(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        started.append(popen([sys.executable, "-c", "import time; time.sleep(60)"], **kwargs))  # type: ignore[call-overload]
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", slow_child)
    return started


def test_a_run_that_ends_before_it_asks_stops_the_child(
    tmp_path: Path, slow_children: list[subprocess.Popen[bytes]]
) -> None:
    hash_ahead.start(make_site(tmp_path / "dist"))
    head_start.stop()  # what the end of every run calls

    assert slow_children and slow_children[0].poll() is not None


def test_a_run_that_ends_while_it_waits_for_the_child_stops_waiting(
    tmp_path: Path, slow_children: list[subprocess.Popen[bytes]]
) -> None:
    site = make_site(tmp_path / "dist")
    hash_ahead.start(site)
    answers: list[str | None] = []
    waiting = threading.Thread(target=lambda: answers.append(hash_ahead.sha1_of(site / "index.html", 1)))
    waiting.start()
    time.sleep(0.2)  # the thread is reading the child's answer

    stopping = threading.Thread(target=hash_ahead.stop)  # the child would answer in a minute
    stopping.start()
    stopping.join(timeout=5)
    waiting.join(timeout=5)

    assert not stopping.is_alive() and not waiting.is_alive() and answers == [None]


def test_a_vercel_deploy_with_a_head_start_creates_with_the_childs_sha1s(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    sha1_of = hash_ahead.sha1_of

    def recorded(source: Path, size: int) -> str | None:
        answer = sha1_of(source, size)
        asked.append(answer or "")
        return answer

    monkeypatch.setattr(hash_ahead, "sha1_of", recorded)
    site = make_site(tmp_path / "site")
    inputs = platform_inputs(sandbox, "vercel", "ahead", site)
    production = {**inputs, "environment": "production", "health-check": "false"}
    result = run_push(capsys, tmp_path, sandbox, "refs/heads/main", SHA, production)

    assert result.code == 0, result.stdout + result.stderr
    site_files = [path for path in site.rglob("*") if path.is_file()]
    assert len(asked) == len(site_files) and all(asked)  # every file's sha1 from the child
    created = next(e for e in sandbox.log() if e.endpoint == "vercel.deployments.create" and e.status == 200)
    shas = {f["file"]: f["sha"] for f in json.loads(created.request_body or "{}")["files"]}
    assert shas == {path.relative_to(site).as_posix(): sha1(path) for path in site_files}
    index = site / "index.html"
    assert sha1_of(index, index.stat().st_size) is None  # the run's end stopped the child
