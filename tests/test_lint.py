"""Lint the container and the workflows: hadolint, GitHub's JSON schemas, zizmor.

These stand in for actionlint (its PyPI wheel downloads a binary at install time, which cannot
work here). The tools come from the `test` extra; a missing one skips with the reason, except
under CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")])


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed; it comes with `pip install -e '.[test]'`")
    pytest.skip(f"{name} is not installed (pip install -e '.[test]')")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_there_are_workflows_to_lint() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in WORKFLOWS}
    assert {
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        "examples/workflows/monorepo.yml",
        "examples/workflows/preview.yml",
        "examples/workflows/production.yml",
    } <= names


def test_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_yml_matches_githubs_action_schema() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflows_match_githubs_workflow_schema(workflow: Path) -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow))
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor() -> None:
    result = run(tool("zizmor"), "--offline", *(str(path) for path in WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_uses_an_absolute_interpreter_and_hash_locked_requirements() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["/usr/local/bin/python", "-I"' in text and '"ci_deploy", "action"]' in text
    assert text.count("--require-hashes") == 2
    for lock in ("requirements.lock", "requirements-build.lock"):
        requirements = [
            line for line in (ROOT / lock).read_text(encoding="utf-8").splitlines() if "==" in line
        ]
        assert requirements and all(line.endswith("\\") for line in requirements), (
            f"{lock} lines carry hashes"
        )


def test_the_runtime_lock_pins_every_runtime_dependency() -> None:
    locked = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    assert {"httpx", "httpcore", "pydantic", "pyyaml", "blake3", "pybase64", "pynacl", "sniffio"} <= locked
