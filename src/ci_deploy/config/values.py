"""Parsers from one raw input string to its typed value.

Each raises :class:`InvalidValue` with a short reason ("expected seconds, got 'soon'"); the config
model adds the input's name. They never echo a secret: secret inputs are not parsed here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from ci_deploy import redaction
from ci_deploy.config.templates import check_template
from ci_deploy.config.urls import url_problem
from ci_deploy.errors import InputError

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: an account, team or deployment id: one URL path segment that needs no escaping
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
#: what an HTTP header value may hold (visible ASCII and blanks: httpx refuses anything else)
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")
_STATUS_CLASS = re.compile(r"([1-5])xx")
#: six hours: the longest a GitHub-hosted job may run
MAX_SECONDS = 6 * 3600.0


class InvalidValue(ValueError):
    """A raw input string that does not parse; the message is the reason, without the name."""


def _shown(raw: str) -> str:
    """A bad value as echoed in a message: secrets hidden first (a clipped or quoted secret would
    no longer match), then quoted, at most about 60 characters of it."""
    text = redaction.redact(raw)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def shown(raw: str) -> str:
    """:func:`_shown` for other modules' messages (an unknown platform, an unknown input)."""
    return _shown(raw)


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidValue(f"expected true or false, got {_shown(raw)}")


def parse_choice(raw: str, choices: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in choices:
        raise InvalidValue(f"expected one of {', '.join(choices)}, got {_shown(raw)}")
    return value


def parse_seconds(raw: str) -> float:
    """Positive seconds (``600``, ``90.5``, ``600s``), at most six hours."""
    text = raw.strip().lower().removesuffix("s").strip()
    try:
        value = float(text)
    except ValueError:
        raise InvalidValue(f"expected seconds, got {_shown(raw)}") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidValue(f"expected a positive number of seconds, got {_shown(raw)}")
    if value > MAX_SECONDS:
        raise InvalidValue(f"expected at most {MAX_SECONDS:.0f} seconds, got {_shown(raw)}")
    return value


def parse_milliseconds(raw: str) -> float:
    text = raw.strip().lower().removesuffix("ms").strip()
    try:
        value = float(text)
    except ValueError:
        raise InvalidValue(f"expected milliseconds, got {_shown(raw)}") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidValue(f"expected a positive number of milliseconds, got {_shown(raw)}")
    return value


def parse_positive_int(raw: str) -> int:
    text = raw.strip().removeprefix("#")
    if not text.isdigit() or int(text) <= 0:
        raise InvalidValue(f"expected a positive whole number, got {_shown(raw)}")
    return int(text)


def split_list(raw: str) -> list[str]:
    """Items separated by newlines or commas, stripped, blanks dropped."""
    return [item.strip() for item in re.split(r"[\n,]", raw) if item.strip()]


def parse_hostname(raw: str) -> str:
    host = raw.strip().lower().rstrip(".")
    if "://" in host or "/" in host:
        raise InvalidValue(f"expected a host name without scheme or path, got {_shown(raw)}")
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidValue(f"expected a host name like www.example.com, got {_shown(raw)}")
    return host


def parse_domains(raw: str) -> list[str]:
    return list(dict.fromkeys(parse_hostname(item) for item in split_list(raw)))


def parse_health_checks(raw: str) -> list[str]:
    """Paths (``/``, ``/api/health``) or absolute http(s) URLs, one per line; ``false`` = none."""
    if raw.strip().lower() in _FALSE:
        return []
    checks: list[str] = []
    for line in (line.strip() for line in raw.splitlines()):
        if not line:
            continue
        if any(ch.isspace() for ch in line) or _has_control(line):
            raise InvalidValue(f"expected one path or URL per line, got {_shown(line)}")
        if not (line.startswith("/") or _is_http_url(line)):
            raise InvalidValue(f"expected a path starting with '/' or an http(s) URL, got {_shown(line)}")
        checks.append(line)
    return checks


def _is_http_url(text: str) -> bool:
    return url_problem(text) is None


def parse_url(raw: str) -> str:
    """An API's base URL (``api-url``, ``sentry-url``)."""
    text = raw.strip().rstrip("/")
    problem = url_problem(text, base=True)
    if problem:
        raise InvalidValue(f"expected an http(s) URL, got {_shown(raw)}: {problem}")
    return text


def parse_headers(raw: str) -> dict[str, str]:
    """``Name: value`` lines. Values are not shown in errors: they are often credentials."""
    headers: dict[str, str] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not _HEADER_NAME.fullmatch(name):
            raise InvalidValue(f"line {number} is not 'Name: value'")
        if not _HEADER_VALUE.fullmatch(value):
            raise InvalidValue(f"line {number}: the value of {name} holds non-ASCII or control characters")
        headers[name] = value.strip()
    return headers


def parse_env_names(raw: str) -> tuple[str, ...]:
    names = [item for item in re.split(r"[\s,]+", raw) if item]
    for name in names:
        if not _ENV_NAME.fullmatch(name):
            raise InvalidValue(f"{_shown(name)} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)")
    return tuple(dict.fromkeys(names))


def parse_env_required(raw: str) -> Literal["auto", "none"] | tuple[str, ...]:
    value = raw.strip().lower()
    if value == "auto":
        return "auto"
    if value == "none":
        return "none"
    return parse_env_names(raw)


def parse_name(raw: str, what: str, pattern: re.Pattern[str] = _PROJECT) -> str:
    text = raw.strip()
    if not pattern.fullmatch(text):
        raise InvalidValue(f"expected {what}, got {_shown(raw)}")
    return text


def parse_identifier(raw: str, what: str) -> str:
    """An id that goes into an API path as one segment: letters, digits, ``_`` and ``-`` only, so
    ``/``, ``..``, ``?``, ``#``, ``%`` or blanks can never reach another endpoint."""
    return parse_name(raw, f"{what} (letters, digits, '_', '-')", _IDENTIFIER)


def check_secret_text(raw: str) -> None:
    """A token goes into an HTTP header: visible ASCII only, no blanks. The reason never
    shows the value."""
    if not raw.isascii() or not raw.isprintable() or any(ch.isspace() for ch in raw):
        raise InvalidValue("holds non-ASCII, control or blank characters; paste the secret again")


def parse_branch(raw: str) -> str:
    """A git branch name (loosely: no spaces, control characters, ``..`` or ``~^:?*[\\``; at most
    255 characters, what a ref's file name may hold)."""
    text = raw.strip().removeprefix("refs/heads/")
    bad = len(text) > 255 or any(ch.isspace() or ord(ch) < 32 or ch in "~^:?*[\\" for ch in text)
    if not text or bad or ".." in text or text.startswith(("-", "/")) or text.endswith(("/", ".lock")):
        raise InvalidValue(f"expected a branch name, got {_shown(raw)}")
    return text


def _has_control(text: str) -> bool:
    """A control character (C0, DEL, C1) or a Unicode line or paragraph separator."""
    return any(ch < " " or "\x7f" <= ch <= "\x9f" or ch in "\u2028\u2029" for ch in text)


def parse_single_line(raw: str, *, forbidden: str = "", max_length: int = 1000) -> str:
    """One line of text: no line break of any kind (``\\u2028`` and ``\\x85`` split lines too) and
    no control character (a terminal escape would reach the log, the summary and GitHub)."""
    text = raw.strip()
    if _has_control(text):
        raise InvalidValue("expected a single line without control characters")
    if len(text) > max_length:
        raise InvalidValue(f"expected at most {max_length} characters, got {_shown(raw)}")
    if forbidden and forbidden in text:
        raise InvalidValue(f"must not contain {forbidden!r}")
    return text


def parse_template(raw: str, input_name: str) -> str:
    text = parse_single_line(raw)
    try:
        check_template(text, input_name=input_name)
    except InputError as exc:
        raise InvalidValue(exc.message) from None
    return text


def parse_host_template(raw: str, input_name: str) -> str:
    """A host name with ``{{placeholders}}`` (``pr-{{pr}}.example.com``): a template, and short
    enough to stay a host name (253 characters) once rendered."""
    text = parse_template(raw, input_name)
    if len(text) > 253 or "/" in text or any(ch.isspace() for ch in text):
        raise InvalidValue(f"expected a host name like pr-{{{{pr}}}}.example.com, got {_shown(raw)}")
    return text


@dataclass(frozen=True)
class HealthExpect:
    """What a healthy answer looks like: a status in one of ``ranges`` (inclusive), and the body
    containing ``text`` (a template: ``{{sha}}`` proves the new commit is served) when set."""

    ranges: tuple[tuple[int, int], ...] = ((200, 399),)
    text: str | None = None

    def accepts_status(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.ranges)


def _status_range(token: str) -> tuple[int, int]:
    if match := _STATUS_CLASS.fullmatch(token.lower()):
        base = int(match.group(1)) * 100
        return base, base + 99
    low_text, dash, high_text = token.partition("-")
    if not (low_text.strip().isdigit() and (not dash or high_text.strip().isdigit())):
        raise InvalidValue(f"expected status codes like 200-399, 200,204 or 2xx, got {_shown(token)}")
    low = int(low_text)
    high = int(high_text) if dash else low
    if not (100 <= low <= high <= 599):
        raise InvalidValue(f"expected HTTP status codes between 100 and 599, got {_shown(token)}")
    return low, high


def parse_health_expect(raw: str) -> HealthExpect:
    """``200-399``, ``200,204``, ``2xx``, and optionally a line ``text: ok {{sha}}``."""
    ranges: list[tuple[int, int]] = []
    text: str | None = None
    for line in (line.strip() for line in raw.splitlines()):
        if line.lower().startswith("text:"):
            text = parse_template(line[len("text:") :].strip(), "health-check-expect") or None
            continue
        ranges.extend(_status_range(token) for token in re.split(r"[\s,]+", line) if token)
    return HealthExpect(ranges=tuple(ranges) or HealthExpect.ranges, text=text)
