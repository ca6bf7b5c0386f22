"""Secrets that must never reach a log line, comment, summary or output.

Every token and every ``${NAME}``-mapped env value is registered here the moment it is read;
anything ci-deploy prints passes through :func:`redact`. The runner also gets an
``::add-mask::`` for each, so GitHub hides them in its own log as well.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_secrets: set[str] = set()
_MIN_LENGTH = 4  # masking "a" or "1" would shred every line; such values are not real secrets


def register(value: str | None) -> bool:
    """Remember ``value`` as secret; returns True when it was new (and long enough to mask)."""
    if not value or len(value) < _MIN_LENGTH:
        return False
    with _lock:
        if value in _secrets:
            return False
        _secrets.add(value)
        return True


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def forget_all() -> None:
    """Drop every registered secret (tests and the long-running sandbox process)."""
    with _lock:
        _secrets.clear()
