"""The contract's one rule for turning a host the platform returned into a URL to open.

A host under ``.localhost`` (the sandbox) is ``http://`` with a port: its own, else the port of
``like_url`` (the deployment's own URL, which carries the sandbox's port while its aliases and
custom domains do not). Any other host is ``https://`` without a port. Never a host built by hand.
"""

from __future__ import annotations

from urllib.parse import quote


def is_loopback_name(host: str) -> bool:
    """``localhost`` or a name under ``.localhost`` (RFC 6761): always this machine."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def split_host(host: str) -> tuple[str, str]:
    """``[scheme://]host[:port][/path]`` -> (host, port or "")."""
    host = host.strip().split("://", 1)[-1].split("/", 1)[0]
    name, sep, port = host.rpartition(":")
    return (name, port) if sep and port.isdigit() else (host, "")


def site_url(host: str, like_url: str = "") -> str:
    """The URL that opens ``host``, by the rule above."""
    name, port = split_host(host)
    if not is_loopback_name(name):
        return f"https://{name}"
    port = port or split_host(like_url)[1]
    return f"http://{name}:{port}" if port else f"http://{name}"


def path_segment(value: str) -> str:
    """``value`` as one API path segment: ``/``, ``?``, ``#``, ``%`` and ``..`` cannot reach
    another endpoint, whatever an input or a platform answer held."""
    return quote(value, safe="")
