"""An in-memory ``app.World`` for unit-testing the emulated APIs without the server or disk."""

from __future__ import annotations

from typing import Any

from ci_deploy_sandbox import app


class MemoryBlobs(app.BlobStore):
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], bytes] = {}

    def put(self, namespace: str, key: str, data: bytes) -> None:
        self.data[(namespace, key)] = data

    def has(self, namespace: str, key: str) -> bool:
        return (namespace, key) in self.data

    def read(self, namespace: str, key: str) -> bytes:
        return self.data[(namespace, key)]


class MemorySites(app.SiteRegistry):
    def __init__(self) -> None:
        self.hosts: dict[str, app.Site] = {}

    @property
    def table(self) -> dict[str, app.Site]:
        return self.hosts

    def publish(self, host: str, site: app.Site) -> None:
        self.hosts[host] = site

    def unpublish(self, host: str) -> None:
        self.hosts.pop(host, None)

    def lookup(self, host: str) -> app.Site | None:
        return self.hosts.get(host)

    def served_by(self, host: str) -> str | None:
        site = self.hosts.get(host)
        return site.deployment_id if site else None


class MemoryWorld(app.World):
    """Counters, saves and settings kept in dicts, for assertions."""

    def __init__(self, port: int = 8080, settings: dict[str, Any] | None = None) -> None:
        self.port = port
        self.blobs = MemoryBlobs()
        self.sites: MemorySites = MemorySites()
        self.counters: dict[str, int] = {}
        self.settings: dict[str, Any] = dict(settings or {})
        self.saves = 0

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount

    def save(self) -> None:
        self.saves += 1

    def setting(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)

    def set_setting(self, name: str, value: Any) -> None:
        self.settings[name] = value
