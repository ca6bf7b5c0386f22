"""Two distributions in one checkout: the runtime (``ci-deploy``, src/ci_deploy) and the sandbox
(``ci-deploy-sandbox``, sandbox/src/ci_deploy_sandbox). The runtime wheel and the Docker image
carry no sandbox; the sandbox needs nothing from the runtime; the two sandbox commands say how to
install it when it is missing."""

from __future__ import annotations

import ast
import importlib.abc
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ci_deploy.cli import main
from ci_deploy.commands.sandbox_demo import sandbox_not_installed

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "src" / "ci_deploy"
SANDBOX = ROOT / "sandbox" / "src" / "ci_deploy_sandbox"


def imported_modules(source: Path) -> list[tuple[str, bool]]:
    """Every module ``source`` imports, each with whether the import is inside a function."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    in_function = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in in_function) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, id(node) in in_function))
    return found


def wheel_names(project: Path, out: Path) -> list[str]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(project),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel).namelist()


def test_the_runtime_wheel_carries_no_sandbox(tmp_path: Path) -> None:
    names = wheel_names(ROOT, tmp_path)
    assert "ci_deploy/cli.py" in names
    assert not [name for name in names if name.startswith(("ci_deploy_sandbox", "ci_deploy/sandbox/"))]


def test_the_sandbox_wheel_is_the_emulator_alone_and_typed(tmp_path: Path) -> None:
    names = wheel_names(ROOT / "sandbox", tmp_path)
    assert {"ci_deploy_sandbox/runtime.py", "ci_deploy_sandbox/py.typed"} <= set(names)
    assert not [name for name in names if name.startswith("ci_deploy/")]


def test_the_sandbox_imports_nothing_from_the_runtime() -> None:
    offending = [
        f"{path.name}: {module}"
        for path in sorted(SANDBOX.glob("*.py"))
        for module, _ in imported_modules(path)
        if module == "ci_deploy" or module.startswith("ci_deploy.")
    ]
    assert offending == []


def test_the_runtime_imports_the_sandbox_only_lazily_in_the_two_sandbox_commands() -> None:
    imports = {
        path.name: [lazy for module, lazy in imported_modules(path) if module.startswith("ci_deploy_sandbox")]
        for path in sorted(RUNTIME.rglob("*.py"))
    }
    importers = {name: lazy for name, lazy in imports.items() if lazy}
    assert set(importers) == {"cli.py", "sandbox_demo.py"}
    assert all(all(lazy) for lazy in importers.values())


def test_the_image_gets_src_only() -> None:
    rules = [line for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines() if line]
    rules = [line for line in rules if not line.startswith("#")]
    assert rules[0] == "*", ".dockerignore starts by leaving everything out"
    assert not [line for line in rules if line.startswith("!") and "sandbox" in line]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copies = [line for line in dockerfile if line.startswith("COPY")]
    assert "COPY src ./src" in copies and not [line for line in copies if "sandbox" in line]


class SandboxNotInstalled(importlib.abc.MetaPathFinder):
    """Finds no ``ci_deploy_sandbox``, failing as the import system does when no finder has it."""

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == "ci_deploy_sandbox" or fullname.startswith("ci_deploy_sandbox."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


@pytest.fixture
def sandbox_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports of ci_deploy_sandbox fail as they do where it is not installed."""
    for name in [name for name in sys.modules if name.partition(".")[0] == "ci_deploy_sandbox"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [SandboxNotInstalled(), *sys.meta_path])


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["sandbox"], "ci-deploy sandbox"),
        (["deploy", "--sandbox", "--no-serve"], "ci-deploy deploy --sandbox"),
    ],
)
@pytest.mark.usefixtures("sandbox_missing")
def test_a_sandbox_command_without_the_sandbox_says_how_to_install_it(
    argv: list[str], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv, environ={"PATH": "/usr/bin:/bin"}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{command}: the sandbox is a separate package; install it with: pip install ./sandbox "
        "(from a ci-deploy checkout), or run scripts/demo\n"
    )


def test_a_broken_sandbox_install_is_not_reported_as_a_missing_one() -> None:
    broken = ModuleNotFoundError("No module named 'blake3'", name="blake3")
    with pytest.raises(ModuleNotFoundError, match="blake3"):
        sandbox_not_installed("ci-deploy sandbox", broken)
