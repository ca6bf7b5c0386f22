"""The run's log: progress lines to whatever stderr is at the time, every secret redacted, and no
line the runner could read as a workflow command. Installed for one ``main()`` call and undone
after it, so tests and embedding programs keep their own logging."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TextIO


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time, with every secret redacted and no line
    the runner could read as a workflow command (the runner parses stderr too)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        from ci_deploy.redaction import redact
        from ci_deploy.runner import inert_lines

        return inert_lines(redact(super().format(record)))


def install_logging(verbose: bool) -> Callable[[], None]:
    """Progress lines (INFO) to stderr for this run; the sandbox's own chatter (its package logs
    under its own name) only when verbose, else its warnings. Returns what undoes it."""
    handler = StderrHandler()
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    levels = {
        "ci_deploy": logging.DEBUG if verbose else logging.INFO,
        "ci_deploy_sandbox": logging.DEBUG if verbose else logging.WARNING,
    }
    saved = []
    for name, level in levels.items():
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False  # our handler speaks for the package; no second copy from the root

    def remove() -> None:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate

    return remove
