"""The house rules of ARCHITECTURE.md, checked: sizes, platform knowledge kept in platforms/, and
the document naming only files that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ci_deploy.platforms import PLATFORMS

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "src" / "ci_deploy"
PACKAGES = (RUNTIME, ROOT / "sandbox" / "src" / "ci_deploy_sandbox")
MODULES = sorted(path for package in PACKAGES for path in package.rglob("*.py"))


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_no_module_is_over_300_lines_nor_any_function_over_60(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 60
    ]
    assert long == []


def _compares_with_a_platform_name(node: ast.AST) -> bool:
    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    return any(isinstance(side, ast.Constant) and side.value in PLATFORMS for side in sides)


def test_no_code_outside_platforms_asks_which_platform_it_has() -> None:
    offenders = [
        f"{_relative(path)}:{node.lineno}"
        for path in RUNTIME.rglob("*.py")
        if "platforms" not in path.relative_to(RUNTIME).parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if _compares_with_a_platform_name(node)
    ]
    assert offenders == []


def test_every_platform_declares_its_fallbacks_and_pure_rules() -> None:
    for name, spec in PLATFORMS.items():
        assert spec.name == name and "token" in spec.env_fallbacks
        assert spec.slug_branch("Feature/X") == spec.slug_branch("Feature/X").lower()


def test_architecture_names_only_files_that_exist() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[\w./-]+/)?[\w-]+\.py|[\w/]+/)`", text))
    missing = []
    for name in sorted(named):
        if "<name>" in name:
            continue
        exists = (RUNTIME / name).exists() or (ROOT / name).exists()
        if not exists and "/" not in name.rstrip("/"):
            exists = any(RUNTIME.rglob(name.rstrip("/")))  # a file named in a row about its folder
        if not exists:
            missing.append(name)
    assert missing == []
