"""The runner protocol, checked by parsing what we write the way actions/runner parses it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from action_harness import parse_github_output

from ci_deploy import redaction, runner
from ci_deploy.runner import Runner, escape_data, escape_property, format_output, input_variable


def unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return unescape_data(value.replace("%3A", ":").replace("%2C", ","))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """``::name k=v,k=v::data`` the way the runner splits it."""
    match = re.fullmatch(r"::([a-z-]+)(?: ([^:]*))?::(.*)", line)
    assert match, f"not a workflow command: {line!r}"
    props: dict[str, str] = {}
    for pair in (match.group(2) or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = unescape_property(value)
    return match.group(1), props, unescape_data(match.group(3))


@pytest.fixture(autouse=True)
def _no_secrets() -> None:
    redaction.forget_all()


@pytest.fixture
def actions(tmp_path: Path) -> tuple[Runner, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    return Runner(environ=environ, out=out, err=err), out, err


def test_input_variable_keeps_hyphens_and_upper_cases() -> None:
    assert input_variable("health-check-timeout") == "INPUT_HEALTH-CHECK-TIMEOUT"
    assert input_variable("my input") == "INPUT_MY_INPUT"


@pytest.mark.parametrize(
    "value",
    [
        "https://pr-12.example.pages.dev",
        "",
        "100% sure",
        "line one\nline two\n",
        "ünïcödé ✓ 🚀",
        "name=value\nother<<EOF\nEOF",
        '[{"name": "a.example.com", "status": "pending"}]',
        "\n\nleading blank lines",
    ],
)
def test_outputs_round_trip_through_the_runners_parser(
    actions: tuple[Runner, io.StringIO, io.StringIO], value: str
) -> None:
    run, _, _ = actions
    assert run.set_outputs({"url": value, "deployed": "true"})
    parsed = parse_github_output(Path(run.environ["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    assert parsed == {"url": value, "deployed": "true"}


def test_outputs_append_and_never_use_set_output(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, out, _ = actions
    run.set_outputs({"a": "1"})
    run.set_outputs({"b": "2"})
    text = Path(run.environ["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert parse_github_output(text) == {"a": "1", "b": "2"}
    assert "::set-output" not in out.getvalue()
    delimiters = re.findall(r"<<(.*)", text)
    assert len(set(delimiters)) == 2 and all(d.startswith("ghadelimiter_") for d in delimiters)


def test_an_output_holding_its_delimiter_is_refused() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        format_output("url", "x\nghadelimiter_abc\nevil=1", "ghadelimiter_abc")


@pytest.mark.parametrize("name", ["", "bad name", "a=b", "x<<y", "nl\n"])
def test_invalid_output_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="output name"):
        format_output(name, "v", "ghadelimiter_1")


def test_outputs_are_redacted(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, _, _ = actions
    redaction.register("s3cr3t-token")
    run.set_outputs({"url": "https://x/?t=s3cr3t-token"})
    parsed = parse_github_output(Path(run.environ["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    assert parsed["url"] == "https://x/?t=***"


def test_outputs_are_skipped_outside_actions() -> None:
    out = io.StringIO()
    run = Runner(environ={}, out=out, err=io.StringIO())
    assert run.set_outputs({"url": "https://x"}) is False
    assert out.getvalue() == ""


def test_mask_prints_add_mask_raw_and_registers_for_redaction(
    actions: tuple[Runner, io.StringIO, io.StringIO],
) -> None:
    run, out, _ = actions
    run.mask("tok%en\nsecond-line")
    commands = [parse_command(line) for line in out.getvalue().splitlines()]
    assert ("add-mask", {}, "tok%en\nsecond-line") in commands
    assert ("add-mask", {}, "second-line") in commands
    assert redaction.redact("x tok%en\nsecond-line y") == "x *** y"


def test_mask_outside_actions_only_registers() -> None:
    out = io.StringIO()
    Runner(environ={}, out=out, err=io.StringIO()).mask("very-secret")
    assert out.getvalue() == ""
    assert redaction.redact("very-secret") == "***"


def test_annotation_escapes_message_and_title(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, out, _ = actions
    run.error("50% failed\r\n::set-env name=X::1", title="deploy: step, one")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, "a message must never start a second command line"
    assert parse_command(lines[0]) == (
        "error",
        {"title": "deploy: step, one"},
        "50% failed\r\n::set-env name=X::1",
    )


@pytest.mark.parametrize("level", ["notice", "warning", "error"])
def test_each_annotation_level_is_a_command(
    actions: tuple[Runner, io.StringIO, io.StringIO], level: str
) -> None:
    run, out, _ = actions
    getattr(run, level)("hello")
    assert parse_command(out.getvalue().strip()) == (level, {}, "hello")


def test_annotations_are_redacted(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, out, _ = actions
    redaction.register("hunter2-secret")
    run.warning("token hunter2-secret refused", title="hunter2-secret")
    assert "hunter2-secret" not in out.getvalue()


def test_annotation_outside_actions_goes_to_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    Runner(environ={}, out=out, err=err).error("boom", title="ci-deploy")
    assert out.getvalue() == "" and err.getvalue() == "error: ci-deploy: boom\n"


def test_group_is_closed_even_when_the_body_raises(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, out, _ = actions
    with pytest.raises(RuntimeError), run.group("Upload 3% of files"):
        raise RuntimeError("x")
    assert out.getvalue().splitlines() == ["::group::Upload 3%25 of files", "::endgroup::"]


def test_summary_appends_markdown(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, _, _ = actions
    assert run.append_summary("| a | b |")
    assert run.append_summary("second")
    assert Path(run.environ["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8") == "| a | b |\nsecond\n"


def test_summary_stays_under_one_mebibyte(actions: tuple[Runner, io.StringIO, io.StringIO]) -> None:
    run, _, _ = actions
    run.append_summary("é" * 400_000)
    run.append_summary("x" * 900_000)
    assert run.append_summary("more") is False
    data = Path(run.environ["GITHUB_STEP_SUMMARY"]).read_bytes()
    assert len(data) <= runner.SUMMARY_LIMIT_BYTES
    assert data.decode("utf-8").endswith("per step)_\n")


def test_escape_functions_match_the_toolkit() -> None:
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_module_functions_use_the_installed_runner(tmp_path: Path) -> None:
    out = io.StringIO()
    runner.use(Runner(environ={"GITHUB_ACTIONS": "true"}, out=out, err=io.StringIO()))
    try:
        runner.notice("hi")
        with runner.group("g"):
            pass
    finally:
        runner.use(None)
    assert out.getvalue().splitlines() == ["::notice::hi", "::group::g", "::endgroup::"]


def test_outside_actions_group_titles_go_to_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    with Runner(environ={}, out=out, err=err).group("Upload"):
        pass
    assert out.getvalue() == "" and err.getvalue() == "== Upload\n"


class ClosedPipe(io.StringIO):
    """A stream whose reader has gone: every write is a broken pipe."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_log_stream_nobody_reads_never_stops_the_run() -> None:
    run = Runner(environ={}, out=ClosedPipe(), err=ClosedPipe())
    with run.group("Deploy"):
        run.warning("still going")
    run.error("and done")


def test_outputs_a_full_disk_refuses_are_an_error_naming_github_output() -> None:
    run = Runner(environ={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": "/dev/full"}, out=io.StringIO())
    with pytest.raises(runner.OutputsNotWritten) as caught:
        run.set_outputs({"url": "https://shop.example"})
    assert str(caught.value) == (
        "could not write the step outputs to GITHUB_OUTPUT (No space left on device); "
        "later steps will not see them"
    )
    assert caught.value.exit_code == 1


def test_a_summary_a_full_disk_refuses_is_a_warning_not_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    run = Runner(environ={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/dev/full"}, out=io.StringIO())
    assert run.append_summary("| deployed |") is False
    assert "could not write the job summary (No space left on device)" in caplog.text
