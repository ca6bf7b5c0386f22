"""The account's DNS zones, as far as custom domains need them: find the zone holding a host,
point a proxied CNAME at a Pages host, remove it again. A refusal means the token lacks a DNS
permission (:class:`DnsRefused`), which the caller turns into advice.
"""

from __future__ import annotations

import logging
from typing import Any

from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi, CloudflareApiError

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.dns")

RECORD_IDENTICAL = 81057


class DnsRefused(Exception):
    """The token may not read the zone or edit its records."""


def zone_candidates(host: str) -> list[str]:
    """``a.b.example.com`` -> ``a.b.example.com``, ``b.example.com``, ``example.com``."""
    labels = host.strip(".").lower().split(".")
    return [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))]


class DnsApi:
    """The account's DNS zones: find a host's zone, point a proxied CNAME, remove it."""

    def __init__(self, api: CloudflareApi, account: str) -> None:
        self._api = api
        self._account = account

    def zone_for(self, host: str) -> str | None:
        """The id of the account's zone holding ``host``, most specific first, or None."""
        for name in zone_candidates(host):
            result = self._call("GET", "zones", params={"name": name, "account.id": self._account})
            if isinstance(result, list) and result and isinstance(result[0], dict):
                return str(result[0]["id"])
        return None

    def point_cname(self, zone: str, host: str, target: str) -> None:
        """Make ``host`` a proxied CNAME to ``target``, creating or fixing the record."""
        path = f"zones/{zone}/dns_records"
        record = {"type": "CNAME", "name": host, "content": target, "proxied": True, "ttl": 1}
        for found in self._cnames(zone, host):
            if found.get("content") == target and found.get("proxied") is True:
                return
            self._call("PATCH", f"{path}/{found['id']}", json=record)
            log.info("Pointed the CNAME %s at %s (proxied)", host, target)
            return
        try:
            self._call("POST", path, json=record)
        except CloudflareApiError as exc:
            # 81057: the identical record exists (a retried create that had worked).
            if not exc.has_code(RECORD_IDENTICAL):
                raise
        log.info("Created the CNAME %s -> %s (proxied)", host, target)

    def remove_cname(self, zone: str, host: str, target_suffix: str) -> None:
        """Delete ``host``'s CNAME if it points under ``target_suffix`` (ours, not a stranger's)."""
        for found in self._cnames(zone, host):
            if str(found.get("content", "")).endswith(target_suffix):
                self._call("DELETE", f"zones/{zone}/dns_records/{found['id']}")

    def _cnames(self, zone: str, host: str) -> list[dict[str, Any]]:
        found = self._call("GET", f"zones/{zone}/dns_records", params={"type": "CNAME", "name": host})
        return [r for r in found or [] if isinstance(r, dict)]

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call where a refusal means the token lacks a DNS permission."""
        try:
            return self._api.call(method, path, **kwargs)
        except CloudflareApiError as exc:
            if exc.refused:
                raise DnsRefused(exc.message) from exc
            raise
