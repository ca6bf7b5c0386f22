"""The inputs of what happens after the deploy: Sentry releases and the error watch, webhook and
Slack notifications, the performance budget.

Parsers turn one raw string into its value with a one-line reason (never echoing a secret: the
webhook URLs may carry tokens), and :func:`observe_problem` is the pure cross-check the settings
model runs, so a half-configured Sentry fails with exit 2 before anything is deployed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from ci_deploy.config.urls import url_problem
from ci_deploy.config.values import MAX_SECONDS, InvalidValue, split_list

_OFF = {"", "off", "false", "no", "0"}
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
#: what Sentry refuses in a release version: slashes, backslashes and whitespace
_BAD_VERSION = re.compile(r"[/\\\s]")


@dataclass(frozen=True)
class WatchThreshold:
    """When the error watch fails a release: more than ``max_new_issues`` issues first seen in
    it, or a crash-free session rate under ``min_crash_free`` percent (None = not judged)."""

    max_new_issues: int | None = 0
    min_crash_free: float | None = None

    def text(self) -> str:
        parts = []
        if self.max_new_issues is not None:
            parts.append(f"new-issues={self.max_new_issues}")
        if self.min_crash_free is not None:
            parts.append(f"crash-free={self.min_crash_free:g}")
        return ", ".join(parts)


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 60 else raw[:57] + "...")


def parse_duration(raw: str) -> float | None:
    """``5m``, ``90s``, ``1m30s``, ``300`` (seconds) or ``off``: seconds, or None when off."""
    text = raw.strip().lower()
    if text in _OFF:
        return None
    match = _DURATION.fullmatch(text)
    if not match or not any(match.groups()):
        raise InvalidValue(f"expected a duration like 5m, 90s or off, got {_shown(raw)}")
    hours, minutes, seconds = (float(group or 0) for group in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not math.isfinite(total) or total <= 0 or total > MAX_SECONDS:
        raise InvalidValue(f"expected a duration between 1s and 6h, got {_shown(raw)}")
    return total


def parse_watch_threshold(raw: str) -> WatchThreshold:
    """``new-issues=N`` and/or ``crash-free=PERCENT``, comma or newline separated."""
    new_issues: int | None = None
    crash_free: float | None = None
    for item in split_list(raw):
        name, sep, value = (part.strip() for part in item.partition("="))
        if name == "new-issues" and sep and value.isdigit():
            new_issues = int(value)
        elif name == "crash-free" and sep and _percent(value) is not None:
            crash_free = _percent(value)
        else:
            raise InvalidValue(f"expected new-issues=N and/or crash-free=PERCENT, got {_shown(item)}")
    if new_issues is None and crash_free is None:
        raise InvalidValue("expected new-issues=N and/or crash-free=PERCENT")
    return WatchThreshold(new_issues, crash_free)


def _percent(text: str) -> float | None:
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        return None
    return value if 0 <= value <= 100 else None


def parse_slug(raw: str) -> str:
    text = raw.strip()
    if not _SLUG.fullmatch(text):
        raise InvalidValue(
            f"expected a Sentry slug (lower-case letters, digits, '-', '_'), got {_shown(raw)}"
        )
    return text


def parse_release_prefix(raw: str) -> str:
    """A prefix put before the commit sha in the release version (``shop@``)."""
    text = raw.strip()
    if _BAD_VERSION.search(text) or len(text) > 150:
        raise InvalidValue(f"expected a short prefix without '/', '\\' or spaces, got {_shown(raw)}")
    return text


def parse_secret_url(raw: str) -> str:
    """An http(s) URL that may carry a token: the reason never shows the value."""
    text = raw.strip()
    problem = url_problem(text)
    if problem:
        raise InvalidValue(
            f"expected an http(s) URL, but {problem} (the value is not shown: it may hold a token)"
        )
    return text


def secret_url_parts(raw: str) -> list[str]:
    """The parts of a secret URL that are logged on their own (a retried request's path, its
    query): masked too, so a Slack webhook's token path never shows in a log line."""
    parts = urlsplit(raw.strip())
    return [part for part in (parts.path, parts.query) if len(part) > 1]


class ObserveInputs(Protocol):
    """The inputs :func:`observe_problem` looks at: Settings, or the raw strings before them."""

    @property
    def sentry_org(self) -> str | None: ...
    @property
    def sentry_project(self) -> str | None: ...
    @property
    def sentry_token(self) -> str | None: ...
    @property
    def error_watch(self) -> object | None: ...
    @property
    def notify_webhook(self) -> str | None: ...
    @property
    def notify_webhook_secret(self) -> str | None: ...


def observe_problem(settings: ObserveInputs) -> tuple[str, str] | None:
    """``(input, reason)`` for an incomplete combination of these inputs, else None."""
    s = settings
    if s.sentry_org or s.sentry_project:
        if not s.sentry_token:
            return (
                "sentry-token",
                "required by sentry-org/sentry-project: set SENTRY_AUTH_TOKEN or sentry-token",
            )
        if not s.sentry_org:
            return "sentry-org", "required by sentry-project (or set SENTRY_ORG)"
        if not s.sentry_project:
            return "sentry-project", "required by sentry-org (or set SENTRY_PROJECT)"
    elif s.error_watch is not None:
        return "error-watch", "needs Sentry: set sentry-org, sentry-project and sentry-token"
    if s.notify_webhook_secret and not s.notify_webhook:
        return "notify-webhook-secret", "signs notify-webhook's events: set notify-webhook too"
    return None
