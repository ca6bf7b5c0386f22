"""The sandbox's DNS: the records a custom domain's owner would set at their DNS host.

Every ``*.localhost`` name resolves to loopback, so the sandbox cannot learn from real DNS
whether a domain points at a platform. This table stands for it: ``{"<name> <TYPE>": [values]}``
in the world setting ``dns``, written through the control API (``POST /_sandbox/dns``
``{"name", "type", "value"}``) or the setting itself. The platforms read it the way they read
the internet's DNS: a Pages custom domain activates once its CNAME names the project, a Vercel
domain's configuration stops being "misconfigured" once an A or CNAME points at Vercel.
"""

from __future__ import annotations

from typing import Any

from ci_deploy_sandbox.app import World

SETTING = "dns"
TYPES = ("A", "AAAA", "CNAME", "TXT")


def _norm(value: str) -> str:
    return value.strip().rstrip(".").lower()


def key(name: str, kind: str) -> str:
    return f"{_norm(name)} {kind.upper()}"


def table(world: World) -> dict[str, list[str]]:
    raw: dict[str, Any] = world.setting(SETTING, {}) or {}
    return {k: v if isinstance(v, list) else [v] for k, v in raw.items()}


def lookup(world: World, name: str, kind: str) -> list[str]:
    """The values of ``name``/``kind`` (lower-case, no trailing dot; TXT values as set)."""
    values = table(world).get(key(name, kind), [])
    return [str(v).strip() if kind.upper() == "TXT" else _norm(str(v)) for v in values]


def add(world: World, name: str, kind: str, value: str) -> dict[str, list[str]]:
    """Add one record (a CNAME replaces the name's CNAME: there can be only one)."""
    if kind.upper() not in TYPES:
        raise ValueError(f"type must be one of {', '.join(TYPES)}, not {kind!r}")
    if not name.strip() or not value.strip():
        raise ValueError("a DNS record needs a name and a value")
    records = table(world)
    existing = [] if kind.upper() == "CNAME" else records.get(key(name, kind), [])
    records[key(name, kind)] = [*[v for v in existing if v != value], value]
    world.set_setting(SETTING, records)
    return records


def remove(world: World, name: str, kind: str | None = None) -> dict[str, list[str]]:
    """Remove ``name``'s records of ``kind`` (or of every type)."""
    kinds = TYPES if kind is None else (kind.upper(),)
    gone = {key(name, k) for k in kinds}
    records = {k: v for k, v in table(world).items() if k not in gone}
    world.set_setting(SETTING, records or None)
    return records
