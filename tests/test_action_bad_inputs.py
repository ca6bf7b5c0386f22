"""Bad input, given as GitHub gives it: exit 2, one ``::error`` line naming the input (or the
archive member), and not a single network request."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet
from action_harness import pull_request_event, push_event, run_action
from pytest_httpx import HTTPXMock

SHA = "c" * 40
PUSH = ("push", push_event("refs/heads/feature", SHA))
DISPATCH = ("workflow_dispatch", {"ref": "refs/heads/feature", "inputs": {}})


def site(tmp: Path) -> Path:
    root = tmp / "dist"
    root.mkdir(exist_ok=True)
    (root / "index.html").write_text("<p>hi</p>")
    return root


def tar_with(tmp: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    path = tmp / "site.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.addfile(member, io.BytesIO(data) if data else None)
    return path


def traversal_zip(tmp: Path) -> Path:
    path = tmp / "site.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.html", "<p>ok</p>")
        archive.writestr("../../etc/evil.sh", "echo pwned")
    return path


def absolute_zip(tmp: Path) -> Path:
    path = tmp / "site.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("/etc/evil.sh", "echo pwned")
    return path


def bomb_zip(tmp: Path) -> Path:
    path = tmp / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("huge.txt", b"\0" * (64 * 1024 * 1024))
    return path


def symlink_tar(tmp: Path) -> Path:
    member = tarfile.TarInfo("link-out")
    member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return tar_with(tmp, member)


def device_tar(tmp: Path) -> Path:
    member = tarfile.TarInfo("dev/zero")
    member.type, member.devmajor, member.devminor = tarfile.CHRTYPE, 1, 5
    return tar_with(tmp, member)


def oversized_site(tmp: Path) -> Path:
    root = site(tmp)
    with (root / "video.mp4").open("wb") as handle:
        handle.truncate(25 * 1024 * 1024 + 1)  # sparse: costs no disk
    return root


def functions_site(tmp: Path) -> Path:
    root = site(tmp)
    (root / "functions").mkdir()
    (root / "functions" / "api.js").write_text("export function onRequest() {}")
    return root


def failed_prebuilt(tmp: Path) -> Path:
    output = tmp / "app" / ".vercel" / "output"
    (output / "static").mkdir(parents=True)
    (output / "config.json").write_text(json.dumps({"version": 3}))
    (output / "builds.json").write_text(
        json.dumps({"target": "production", "error": {"message": "build broke"}})
    )
    return tmp / "app"


Artifact = Callable[[Path], Path]
CASES: list[tuple[str, dict[str, str], str, Artifact | None]] = [
    ("unknown platform", {"platform": "netlify"}, "platform", None),
    ("no platform", {"platform": ""}, "platform", None),
    ("no project", {"project": ""}, "project", None),
    ("timeout in words", {"timeout": "soon"}, "timeout", None),
    ("negative timeout", {"timeout": "-5"}, "timeout", None),
    ("health timeout in words", {"health-check-timeout": "soon"}, "health-check-timeout", None),
    ("wait not boolean", {"wait": "maybe"}, "wait", None),
    ("create-project not boolean", {"create-project": "perhaps"}, "create-project", None),
    ("comment not boolean", {"comment": "2"}, "comment", None),
    ("dry-run not boolean", {"dry-run": "sure"}, "dry-run", None),
    ("unknown environment", {"environment": "staging"}, "environment", None),
    ("unknown failure policy", {"on-health-failure": "explode"}, "on-health-failure", None),
    ("unknown command", {"command": "destroy"}, "command", None),
    ("pr-number not a number", {"pr-number": "abc"}, "pr-number", None),
    ("pr-number negative", {"pr-number": "-3"}, "pr-number", None),
    ("expect not statuses", {"health-check-expect": "ok please"}, "health-check-expect", None),
    ("latency budget in words", {"health-check-max-latency-ms": "fast"}, "health-check-max-latency-ms", None),
    ("header without colon", {"health-check-headers": "NoColonHere"}, "health-check-headers", None),
    ("bad domain", {"domains": "not a domain!"}, "domains", None),
    ("api-url not http", {"api-url": "ftp://example.com"}, "api-url", None),
    ("env is bad YAML", {"env": "KEY: [1, 2"}, "env", None),
    ("env is a list", {"env": "- a\n- b"}, "env", None),
    ("env value is a map", {"env": "KEY:\n  nested: 1"}, "env", None),
    ("env name invalid", {"env": "bad-name: x"}, "env", None),
    ("env secret unset", {"env": "API_KEY: ${NOT_SET_ANYWHERE}"}, "env", None),
    ("env-file missing", {"env-file": "nope.env"}, "env-file", None),
    ("env-required invalid name", {"env-required": "1BAD"}, "env-required", None),
    ("no token", {"token": ""}, "token", None),
    ("promote without id", {"command": "promote"}, "deployment-id", None),
    ("unknown placeholder", {"preview-domain": "pr-{{nope}}.example.com"}, "preview-domain", None),
    ("no PR for {{pr}}", {"preview-domain": "pr-{{pr}}.example.com"}, "preview-domain", None),
    ("missing artifact", {"artifact": "does-not-exist"}, "artifact", None),
    ("missing working directory", {"working-directory": "nowhere"}, "working-directory", None),
    ("zip path traversal", {}, "../../etc/evil.sh", traversal_zip),
    ("zip absolute path", {}, "/etc/evil.sh", absolute_zip),
    ("zip bomb", {}, "huge.txt", bomb_zip),
    ("tar symlink escape", {}, "link-out", symlink_tar),
    ("tar device file", {}, "dev/zero", device_tar),
    ("file over 25 MiB", {}, "video.mp4", oversized_site),
    ("Pages Functions folder", {}, "functions", functions_site),
    ("prebuilt build that failed", {"platform": "vercel"}, "builds.json", failed_prebuilt),
]


#: folders whose contents break a platform rule: found by listing the folder, after the run's first
#: reads may have gone out early (ci_deploy.head_start); they must still write nothing
FOUND_IN_CONTENTS = {"file over 25 MiB", "Pages Functions folder"}


def _case(name: str, inputs: dict[str, str], named: str, artifact: Artifact | None) -> ParameterSet:
    """One case; a folder-contents case lets its early reads go unanswered (the mock has none)."""
    lenient = name in FOUND_IN_CONTENTS
    marks = [pytest.mark.httpx_mock(assert_all_requests_were_expected=False)] if lenient else []
    return pytest.param(inputs, named, artifact, lenient, id=name, marks=marks)


@pytest.mark.parametrize(("inputs", "named", "artifact", "may_read"), [_case(*c) for c in CASES])
def test_bad_input_exits_2_with_one_line_naming_it_and_makes_no_request(
    inputs: dict[str, str],
    named: str,
    artifact: Artifact | None,
    may_read: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    httpx_mock: HTTPXMock,
) -> None:
    path = artifact(tmp_path) if artifact else site(tmp_path)
    base = {
        "platform": "cloudflare-pages",
        "project": "shop",
        "token": "cf_token_for_bad_input_tests",
        "account": "0123456789abcdef0123456789abcdef",
        "api-url": "http://127.0.0.1:9/client/v4",
        "artifact": str(path),
        "working-directory": str(tmp_path),
        "env-required": "none",
    }
    event_name, event = DISPATCH if "{{pr}}" in inputs.get("preview-domain", "") else PUSH
    result = run_action(
        capsys, tmp_path, event_name=event_name, event=event, inputs={**base, **inputs},
        sha=SHA, ref="refs/heads/feature",
    )  # fmt: skip
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert result.code == 2, result.stdout + result.stderr
    assert len(errors) == 1
    assert named in errors[0]
    sent = httpx_mock.get_requests()
    if may_read:
        assert [request.method for request in sent if request.method != "GET"] == []
    else:
        assert sent == []


def test_the_catalogue_covers_at_least_thirty_bad_inputs() -> None:
    assert len(CASES) >= 30


def test_a_fork_pull_request_with_a_token_is_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], httpx_mock: HTTPXMock
) -> None:
    """Only a token-less fork run is skipped; with a token the run goes on (here: to bad input)."""
    event = pull_request_event(3, sha=SHA, head_ref="main", head_repo="someone/shop")
    result = run_action(
        capsys, tmp_path, event_name="pull_request", event=event,
        inputs={"platform": "cloudflare-pages", "project": "shop", "token": "t0ken_value", "timeout": "x"},
    )  # fmt: skip
    assert result.code == 2
    assert httpx_mock.get_requests() == []
