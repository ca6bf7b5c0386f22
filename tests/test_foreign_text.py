"""A platform's own words are made fit to print: one line (or bounded lines), no terminal escape
sequence or control character, secrets redacted before the cut, the cut counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_deploy import redaction
from ci_deploy.errors import CiDeployError, PlatformError
from ci_deploy.foreign_text import DETAILS_LIMIT, LINE_LIMIT, block, clip, one_line

SECRET = "s3cret-token-value-0123456789"


@pytest.fixture(autouse=True)
def _fresh_secrets() -> Iterator[None]:
    redaction.forget_all()
    yield
    redaction.forget_all()


def test_a_megabyte_becomes_one_line_that_counts_what_was_cut() -> None:
    line = one_line("x" * 1024 * 1024, 400)
    assert line == "x" * 400 + f"… ({1024 * 1024 - 400} more characters)"


def test_text_within_the_limit_is_kept_as_it_is() -> None:
    assert one_line("Project not found [code 8000007]", 400) == "Project not found [code 8000007]"


def test_line_breaks_fold_into_blanks_so_no_second_line_can_start_a_command() -> None:
    text = "boom\n::set-output name=url::http://evil.example\r\n##[error]x\u2028::add-mask::y\x85z"
    assert one_line(text) == "boom ::set-output name=url::http://evil.example ##[error]x ::add-mask::y z"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[1;38;5;196mbold\x1b[K", "bold"),
        ("\x1b]0;window title\x07after", "after"),
        ("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bccleared", "cleared"),
        ("bell\x07 nul\x00 del\x7f csi\x9b", "bell\\x07 nul\\x00 del\\x7f csi\\x9b"),
        ("\u202eexe.gnp\u202c", "\\u202eexe.gnp\\u202c"),
        ("lone escape \x1b", "lone escape \\x1b"),
    ],
)
def test_escape_sequences_are_dropped_and_other_controls_shown_as_escapes(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_a_secret_is_redacted_before_the_cut_so_no_half_of_it_shows() -> None:
    redaction.register(SECRET)
    line = one_line("a" * 390 + SECRET + "b" * 100, 400)
    assert SECRET[:10] not in line
    assert line.startswith("a" * 390 + "***")


def test_a_secret_split_by_an_escape_sequence_is_still_redacted() -> None:
    redaction.register(SECRET)
    assert one_line(f"token {SECRET[:8]}\x1b[0m{SECRET[8:]}") == "token ***"


def test_a_block_keeps_lines_and_tabs_and_folds_runs_of_blank_lines() -> None:
    text = "\x1b[32mline one\x1b[0m  \n\tindented\x07\n\n\n\n\nlast\n"
    assert block(text) == "line one\n\tindented\\x07\n\nlast"


def test_a_block_is_bounded_and_counts_what_was_cut() -> None:
    text = "log line\n" * 100_000
    shown = block(text, 1000)
    assert shown.startswith("log line\nlog line")
    assert shown.endswith(f"… ({len(text.strip()) - 1000} more characters)")
    assert len(shown) < 1100


def test_keeping_the_end_keeps_a_tracebacks_innermost_lines() -> None:
    assert clip("0123456789", 4, keep_end=True) == "(6 earlier characters) …6789"


def test_an_error_is_one_bounded_redacted_line_and_bounded_details_when_made() -> None:
    redaction.register(SECRET)
    error = PlatformError(f"{SECRET}\n" + "\x1b[31m" + "m" * 2_000_000, details="\x1b[2Jdetail\n" * 1_000_000)
    assert "\n" not in error.message and "\x1b" not in error.message
    assert error.message.startswith("*** ") and SECRET not in error.message
    assert len(error.message) <= LINE_LIMIT + 40
    assert len(error.details) <= DETAILS_LIMIT + 40 and "\x1b" not in error.details
    assert str(error) == error.message


def test_an_ordinary_error_reads_exactly_as_written() -> None:
    error = CiDeployError("the deploy failed: do this", input_name="token", details="one\ntwo")
    assert (str(error), error.details) == ("input 'token': the deploy failed: do this", "one\ntwo")
