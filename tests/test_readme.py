"""The README, action.yml and the input table in code say the same thing, and the README's two
commands are the ones the project really runs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ci_deploy.config.inputs import INPUTS, OUTPUTS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_rows(heading: str) -> dict[str, list[str]]:
    """The rows of the first table under ``## heading``, keyed by the first cell's `name`."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([a-z-]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in re.split(r"(?<!\\)\|", match.group(2))]
    return rows


def test_readme_lists_every_input_once_with_its_default() -> None:
    rows = table_rows("Inputs")
    assert list(rows) == list(INPUTS)
    for name, spec in INPUTS.items():
        default = spec.action_default if spec.action_default is not None else spec.default
        shown = rows[name][0]
        assert shown == (f"`{default}`" if default else ("required" if spec.required else "—")), name


def test_readme_lists_every_output_once() -> None:
    assert list(table_rows("Outputs")) == list(OUTPUTS)


def test_action_yml_declares_the_same_inputs_and_outputs() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert list(action["inputs"]) == list(INPUTS)
    assert list(action["outputs"]) == list(OUTPUTS)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert "scripts/test    #" in README and "scripts/demo    #" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^exec bash scripts/test$", ci, re.MULTILINE)
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "bash .ci/run" in workflow
