"""Secrets that must never reach a log line, comment, summary or output.

Every token and every ``${NAME}``-mapped env value is registered here the moment it is read;
anything ci-deploy prints passes through :func:`redact`. The runner also gets an
``::add-mask::`` for each, so GitHub hides them in its own log as well.

A secret is also hidden in the forms it travels in: base64 (an ``Authorization: Basic`` header,
a JWT segment; at every byte alignment, so it is found inside a longer encoded blob too) and
URL-encoding (a query string). The password part of any ``scheme://user:password@host`` URL is
hidden whether or not it was registered (a proxy or API URL with credentials in it).
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote, quote_plus

_lock = threading.Lock()
_secrets: set[str] = set()
#: masking "a" or "1" would shred every line; such values are not real secrets
MIN_LENGTH = 4
#: derived forms shorter than this would match by chance in ordinary text
_MIN_DERIVED_LENGTH = 8
#: ``scheme://user:password@``: the userinfo of a URL carrying a password
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@:]*:[^\s/?#@]*@")


def _base64_forms(secret: bytes) -> set[str]:
    """The characters of ``secret``'s base64 encoding that do not depend on its neighbours, for
    each of the three alignments it can have inside a longer encoded text (std and URL-safe)."""
    forms: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret).decode("ascii").rstrip("=")
        start = 4 if offset else 0
        end = len(encoded) - ((offset + len(secret)) % 3 != 0) * 4
        core = encoded[start:end] if end > start else ""
        if offset == 0:
            forms.add(encoded)  # the whole value encoded on its own, padding stripped
        forms.add(core)
    return forms | {form.replace("+", "-").replace("/", "_") for form in forms}


def derived_forms(value: str) -> set[str]:
    """The encodings of ``value`` a secret may travel in, besides itself."""
    if len(value) < _MIN_DERIVED_LENGTH:
        return set()
    forms = _base64_forms(value.encode("utf-8")) | {quote(value, safe=""), quote_plus(value, safe="")}
    return {form for form in forms if len(form) >= _MIN_DERIVED_LENGTH and form != value}


def register(value: str | None) -> bool:
    """Remember ``value`` (and its derived forms) as secret; True when it was new and long
    enough to mask."""
    if not value or not maskable(value):
        return False
    with _lock:
        if value in _secrets:
            return False
        _secrets.add(value)
        _secrets.update(derived_forms(value))
        return True


def maskable(value: str) -> bool:
    """Whether ``value`` is long enough to be masked without garbling ordinary text."""
    return len(value) >= MIN_LENGTH


def redact(text: str) -> str:
    """``text`` with every registered secret and URL password replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def url_password(url: str) -> str:
    """The password in ``url``'s userinfo (``https://user:pass@host``), or empty."""
    match = re.match(r"(?i)[a-z][a-z0-9+.-]*://([^\s/?#@]*)@", url.strip())
    if match is None:
        return ""
    return match.group(1).partition(":")[2]


def forget_all() -> None:
    """Drop every registered secret (tests and the long-running sandbox process)."""
    with _lock:
        _secrets.clear()
