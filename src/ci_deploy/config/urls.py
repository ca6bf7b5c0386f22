"""Whether a URL input is one a request can go to: checked before anything is sent.

httpx would fail late on some of these (a port out of range, an unclosed IPv6 bracket) and
quietly send others somewhere else (it percent-encodes a blank in a host name; a query on an
API's base URL swallows the paths appended to it).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def url_problem(text: str, *, base: bool = False) -> str | None:
    """Why ``text`` is no http(s) URL a request can go to, or None. A ``base`` URL (an API's
    root) takes no query or fragment: the paths are appended to it."""
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed '[' of an IPv6 address, for one
        return "it does not parse as a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it needs http:// or https:// and a host"
    try:
        port = parts.port  # raises for one that is no number up to 65535
    except ValueError:
        port = 0
    if port == 0:
        return "its port is not a number from 1 to 65535"
    if not _valid_host(parts.hostname):
        return "its host is no valid host name or IP address"
    if base and (parts.query or parts.fragment):
        return "an API's base URL takes no '?' query or '#' fragment"
    return None


def _valid_host(host: str) -> bool:
    """An IP address, or a DNS name (international names included) of letters, digits, '-'
    and '_' (which internal hosts use)."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in name.rstrip(".").split("."))
