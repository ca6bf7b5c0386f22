"""The input declarations in ``config/inputs.py``: read from ``INPUT_*`` variables and CLI
flags, one per Settings field, and the same in action.yml and in the contract."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ci_deploy.config.inputs import INPUTS, OUTPUTS, add_cli_arguments, inputs_from_cli, read_action_inputs
from ci_deploy.config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_read_action_inputs_uses_hyphenated_variables() -> None:
    environ = {
        "INPUT_PLATFORM": " vercel ",
        "INPUT_HEALTH-CHECK-TIMEOUT": "30",
        "INPUT_HEALTH_CHECK_TIMEOUT": "99",
    }
    inputs = read_action_inputs(environ)
    assert set(inputs) == set(INPUTS)
    assert inputs["platform"] == "vercel" and inputs["health-check-timeout"] == "30" and inputs["token"] == ""


def test_cli_flags_become_inputs() -> None:
    parser = argparse.ArgumentParser()
    add_cli_arguments(parser)
    namespace = parser.parse_args(
        [
            "--platform",
            "vercel",
            "--no-wait",
            "--dry-run",
            "--domains",
            "a.example.com",
            "--domains",
            "b.example.com",
        ]
    )
    assert inputs_from_cli(namespace) == {
        "platform": "vercel",
        "wait": "false",
        "dry-run": "true",
        "domains": "a.example.com\nb.example.com",
    }


def test_cli_flags_for_a_subset_of_inputs() -> None:
    parser = argparse.ArgumentParser()
    add_cli_arguments(parser, ["platform", "project"])
    assert inputs_from_cli(parser.parse_args(["--project", "web"])) == {"project": "web"}


def test_every_input_is_a_settings_field() -> None:
    fields = {info.alias or name for name, info in Settings.model_fields.items()}
    assert fields == set(INPUTS)


def test_action_yml_declares_every_input_and_output_as_inputs_py_does() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert list(action["inputs"]) == list(INPUTS)
    for name, spec in INPUTS.items():
        declared = action["inputs"][name]
        assert declared["description"] == spec.description, name
        assert declared["required"] is spec.required, name
        expected_default = spec.action_default if spec.action_default is not None else spec.default
        assert declared.get("default", "") == expected_default, name
    assert {name: value["description"] for name, value in action["outputs"].items()} == OUTPUTS
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_the_contracts_inputs_and_outputs_are_all_declared() -> None:
    contract = """
        platform token account project create-project artifact working-directory artifact-name environment
        production-branch branch pr-number domains domains-timeout preview-domain env env-file env-required
        github-token
        comment comment-key github-deployment github-environment wait timeout health-check
        health-check-expect health-check-timeout health-check-headers health-check-max-latency-ms
        vercel-protection-bypass on-health-failure perf-budget-ms sentry-org sentry-project sentry-token
        sentry-url sentry-release-prefix error-watch error-watch-threshold notify-webhook
        notify-webhook-secret notify-slack-webhook cleanup command deployment-id dry-run api-url
    """
    assert list(INPUTS) == contract.split()
    outputs = """
        url deployment-url alias-url deployment-id inspect-url deployed environment health rolled-back-to
        comment-id github-deployment-id domains sentry-release
    """
    assert list(OUTPUTS) == outputs.split()
    assert [name for name, spec in INPUTS.items() if spec.secret] == [
        "token",
        "github-token",
        "vercel-protection-bypass",
        "sentry-token",
        "notify-webhook",
        "notify-webhook-secret",
        "notify-slack-webhook",
    ]
