"""The GitHub Actions runner protocol: inputs, outputs, masks, groups, annotations, step summary.

A small owned module rather than a library, so every escaping rule is ours and pinned by tests
that parse the files the way the runner (actions/runner) does:

- inputs arrive as ``INPUT_<NAME>``: upper-cased, spaces turned into ``_``, hyphens **kept**;
- outputs are appended to ``GITHUB_OUTPUT`` as heredocs ``name<<ghadelimiter_<uuid>`` with a
  fresh random delimiter per value; ``::set-output`` is never used (deprecated and injectable);
- workflow commands (``::add-mask::``, ``::group::``, ``::error title=…::``) escape ``%``, ``\\r``
  and ``\\n`` in data, and also ``:`` and ``,`` in properties, so a message can never start a
  command of its own on a new line;
- no line we print to stdout or stderr that is not our own command can be read as one: the
  runner takes any line starting (after blanks) with ``::`` or ``##[`` for a command, so such a
  line from event text (a branch name, a commit message) gets its first character escaped
  (``%3A:set-output…``), see :func:`inert_lines`;
- ``GITHUB_STEP_SUMMARY`` is capped by GitHub at 1 MiB per step; we stay under it.

Everything written passes through :func:`ci_deploy.redaction.redact`, except the mask command
itself, which must carry the secret to the runner.

Outside Actions (``GITHUB_ACTIONS`` is not ``true``): masks only register the secret for
redaction, groups print a plain ``== title`` line and annotations ``error: message``, both to
stderr (stdout stays for results); outputs are skipped when ``GITHUB_OUTPUT`` is unset (the
CLI prints what matters; a ``name=value`` dump would spoil "the live URL is the last line").
"""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

from ci_deploy import redaction
from ci_deploy.errors import CiDeployError

log = logging.getLogger("ci_deploy.runner")

#: GitHub refuses a step summary above 1 MiB; keep a margin for the truncation note.
SUMMARY_LIMIT_BYTES = 1024 * 1024
_TRUNCATED_NOTE = "\n\n_(summary truncated: GitHub keeps at most 1 MiB per step)_\n"

Level = Literal["notice", "warning", "error"]


def input_variable(name: str) -> str:
    """The environment variable the runner sets for input ``name`` (``INPUT_HEALTH-CHECK``)."""
    return "INPUT_" + name.replace(" ", "_").upper()


def escape_data(value: str) -> str:
    """Escape a workflow command's message part (what follows the second ``::``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command property value (``title=…``): data rules plus ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


_COMMAND_START = re.compile(r"^([^\S\n]*)(:(?=:)|#(?=#\[))", re.MULTILINE)


def inert_lines(text: str) -> str:
    """``text`` with no line the runner would parse as a workflow command (``::set-output``,
    ``::add-mask::``, ``::stop-commands::``, ``##[set-output]``): a leading ``:`` or ``#`` of
    such a line is percent-escaped, as the runner's own escaping would write it."""
    return _COMMAND_START.sub(lambda m: m.group(1) + ("%3A" if m.group(2) == ":" else "%23"), text)


def _valid_output_name(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "-_" for c in name) and name.isascii()


def format_output(name: str, value: str, delimiter: str) -> str:
    """One ``GITHUB_OUTPUT`` heredoc entry. Refuses a value holding the delimiter (it would end
    the heredoc early and let the rest of the value set other outputs)."""
    if not _valid_output_name(name):
        raise ValueError(f"invalid output name {name!r}")
    if delimiter in value:
        raise ValueError(f"output {name!r} contains its own heredoc delimiter")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


class OutputsNotWritten(CiDeployError):
    """``GITHUB_OUTPUT`` refused the outputs (a full disk): the later steps of the job would read
    them empty, so a run that otherwise succeeded fails on it (exit 1)."""


@dataclass
class Runner:
    """Talks to the runner through ``environ`` (its file paths) and ``out`` (workflow commands).

    One is made per process by :func:`current`; tests make their own with a fake environ."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    @property
    def in_actions(self) -> bool:
        return self.environ.get("GITHUB_ACTIONS") == "true"

    def _command(self, line: str) -> None:
        _write(self.out, redaction.redact(line) + "\n")

    def mask(self, value: str) -> None:
        """Register ``value`` for redaction and, in Actions, ask the runner to mask it.

        A multi-line secret is masked line by line as well, as the runner matches per line."""
        if not value:
            return
        redaction.register(value)
        lines = [line for line in value.splitlines() if line.strip()]
        for line in lines:
            redaction.register(line)
        if not self.in_actions:
            return
        # Written raw: redacting the mask command would hide the secret from the runner itself.
        masks = [f"::add-mask::{escape_data(part)}\n" for part in dict.fromkeys([value, *lines])]
        _write(self.out, "".join(masks))

    def set_outputs(self, outputs: Mapping[str, str]) -> bool:
        """Append every output to ``GITHUB_OUTPUT``; False (and nothing written) outside Actions."""
        path = self.environ.get("GITHUB_OUTPUT")
        if not path:
            log.debug("GITHUB_OUTPUT is not set; outputs not written: %s", ", ".join(outputs))
            return False
        entries = [
            format_output(name, redaction.redact(value), f"ghadelimiter_{uuid.uuid4()}")
            for name, value in outputs.items()
        ]
        try:
            with Path(path).open("a", encoding="utf-8", newline="\n") as handle:
                handle.write("".join(entries))
        except OSError as error:
            raise OutputsNotWritten(
                f"could not write the step outputs to GITHUB_OUTPUT ({error.strerror or error}); "
                "later steps will not see them"
            ) from error
        return True

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible log group; always closed, even when the body raises."""
        if self.in_actions:
            self._command(f"::group::{escape_data(title)}")
        else:
            _write(self.err, inert_lines(redaction.redact(f"== {title}")) + "\n")
        try:
            yield
        finally:
            if self.in_actions:
                self._command("::endgroup::")

    def annotate(self, level: Level, message: str, title: str | None = None) -> None:
        """An annotation shown on the run page (``::error title=…::message``)."""
        if not self.in_actions:
            prefix = f"{level}: {title}: " if title else f"{level}: "
            _write(self.err, inert_lines(redaction.redact(prefix + message)) + "\n")
            return
        props = f" title={escape_property(title)}" if title else ""
        self._command(f"::{level}{props}::{escape_data(message)}")

    def notice(self, message: str, title: str | None = None) -> None:
        self.annotate("notice", message, title)

    def warning(self, message: str, title: str | None = None) -> None:
        self.annotate("warning", message, title)

    def error(self, message: str, title: str | None = None) -> None:
        self.annotate("error", message, title)

    def append_summary(self, markdown: str) -> bool:
        """Append to the step summary, truncated so the file stays under GitHub's 1 MiB.

        Returns False when there is no summary file (outside Actions) or no room left."""
        path_text = self.environ.get("GITHUB_STEP_SUMMARY")
        if not path_text:
            return False
        try:
            return _append_within_limit(Path(path_text), redaction.redact(markdown))
        except OSError as error:  # a full disk: the summary is a report, never worth the run
            log.warning("could not write the job summary (%s)", error.strerror or error)
            return False


def _append_within_limit(path: Path, markdown: str) -> bool:
    """Append ``markdown``, cut to keep ``path`` under GitHub's 1 MiB; False when full."""
    used = path.stat().st_size if path.exists() else 0
    data = markdown.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    room = SUMMARY_LIMIT_BYTES - used
    if len(data) > room:
        note = _TRUNCATED_NOTE.encode("utf-8")
        if room <= len(note):
            log.warning("step summary is full (1 MiB); skipped %d bytes", len(data))
            return False
        data = data[: room - len(note)].decode("utf-8", errors="ignore").encode("utf-8") + note
    with path.open("ab") as handle:
        handle.write(data)
    return True


_current: Runner | None = None


def current() -> Runner:
    """The process-wide runner (``os.environ``, stdout, stderr)."""
    global _current
    if _current is None:
        _current = Runner()
    return _current


def use(runner: Runner | None) -> None:
    """Replace the process-wide runner (tests; the CLI when it captures output)."""
    global _current
    _current = runner


def mask(value: str) -> None:
    current().mask(value)


def set_outputs(outputs: Mapping[str, str]) -> bool:
    return current().set_outputs(outputs)


def group(title: str) -> AbstractContextManager[None]:
    return current().group(title)


def notice(message: str, title: str | None = None) -> None:
    current().notice(message, title)


def warning(message: str, title: str | None = None) -> None:
    current().warning(message, title)


def error(message: str, title: str | None = None) -> None:
    current().error(message, title)


def append_summary(markdown: str) -> bool:
    return current().append_summary(markdown)


def print_result(text: str) -> bool:
    """``text`` on standard output, where a run prints its result (the live URL); False when it
    cannot be written: nobody reads it any more (the reader of a pipe exited, as ``| head -0``
    does) or its device refuses it (full)."""
    return _write(sys.stdout, text + "\n")


def _write(stream: TextIO, text: str) -> bool:
    """Write and flush ``text``; False when the stream cannot take it (a closed pipe, a full
    device). The stream then goes to the null device, so a run whose log cannot be written still
    finishes what it started (a deployment is never left half-made for want of a log)."""
    try:
        stream.write(text)
        stream.flush()
    except OSError:
        silence(stream)
        return False
    return True


def silence(stream: TextIO) -> None:
    """Send the rest of ``stream`` to the null device (it cannot be written any more)."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # not a real file (a test's buffer): nothing to redirect
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
