"""Zones and DNS records: what a custom domain's CNAME is created in.

Zones come from the ``cloudflare.zones`` setting (at start or at run time) or ``POST /zones``.
Records follow Cloudflare's conflict rules: a CNAME cannot share its name with an A, AAAA or
other CNAME (81053), an A/AAAA cannot sit next to a CNAME (81054), an identical record is 81057.
Writing needs DNS edit permission (``DNS_READ_ONLY_TOKEN`` gets 403 code 10000).
"""

from __future__ import annotations

import uuid
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.cloudflare_auth import ACCOUNT_NAMES, Grant, TokenRoute
from ci_deploy_sandbox.cloudflare_common import (
    CloudflareErrorReply,
    JsonDict,
    body_object,
    iso,
    no_route,
    paged,
    success,
)
from ci_deploy_sandbox.cloudflare_context import Context, configured_zone
from ci_deploy_sandbox.cloudflare_state import DnsRecord, Zone

TYPES = ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA", "SRV", "HTTPS", "SVCB")
PROXIABLE = ("A", "AAAA", "CNAME")
ADDRESS = ("A", "AAAA")


def dns_error(message: str, code: int = 1004) -> CloudflareErrorReply:
    return CloudflareErrorReply(400, code, message)


class Dns:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[TokenRoute]:
        records = "/zones/{zone}/dns_records"
        return [
            ("GET", "/zones", "cloudflare.zones.list", self.list_zones),
            ("POST", "/zones", "cloudflare.zones.create", self.create_zone),
            ("GET", "/zones/{zone}", "cloudflare.zones.get", self.get_zone),
            ("GET", records, "cloudflare.dns.list", self.list_records),
            ("POST", records, "cloudflare.dns.create", self.create_record),
            ("GET", records + "/{record}", "cloudflare.dns.get", self.get_record),
            ("PATCH", records + "/{record}", "cloudflare.dns.update", self.patch_record),
            ("PUT", records + "/{record}", "cloudflare.dns.replace", self.put_record),
            ("DELETE", records + "/{record}", "cloudflare.dns.delete", self.delete_record),
        ]

    # --- zones ----------------------------------------------------------------------------------

    def _zone(self, request: app.Request, grant: Grant) -> Zone:
        for zone in self.ctx.zones():
            if zone.id == request.params["zone"] and zone.account_id in grant.accounts:
                return zone
        raise no_route(request.path)

    def list_zones(self, request: app.Request, grant: Grant) -> app.Response:
        name, account = request.arg("name"), request.arg("account.id")
        zones = [
            zone
            for zone in self.ctx.zones()
            if zone.account_id in grant.accounts
            and (not name or zone.name == name.lower().rstrip("."))
            and (not account or zone.account_id == account)
        ]
        return paged(request, [zone_json(zone) for zone in zones], per_page_default=20)

    def create_zone(self, request: app.Request, grant: Grant) -> app.Response:
        body = body_object(request)
        account = (body.get("account") or {}).get("id") if isinstance(body.get("account"), dict) else None
        account = account or grant.accounts[0]
        grant.require_account(account)
        grant.require_dns_edit()
        name = body.get("name")
        if not isinstance(name, str) or "." not in name:
            raise dns_error("A zone needs a domain name", 1001)
        zone = configured_zone(name, account)
        if any(existing.name == zone.name for existing in self.ctx.zones()):
            raise CloudflareErrorReply(400, 1061, f"{zone.name} already exists")
        self.ctx.state.zones[zone.id] = zone
        return success(zone_json(zone))

    def get_zone(self, request: app.Request, grant: Grant) -> app.Response:
        return success(zone_json(self._zone(request, grant)))

    # --- records --------------------------------------------------------------------------------

    def _record(self, request: app.Request, grant: Grant) -> DnsRecord:
        zone = self._zone(request, grant)
        record = self.ctx.state.records.get(request.params["record"])
        if record is None or record.zone_id != zone.id:
            raise CloudflareErrorReply(404, 81044, "Record does not exist.")
        return record

    def list_records(self, request: app.Request, grant: Grant) -> app.Response:
        zone = self._zone(request, grant)
        wanted = {key: request.arg(key) for key in ("type", "name", "content")}
        found = [
            record
            for record in self.ctx.state.records.values()
            if record.zone_id == zone.id
            and (not wanted["type"] or record.type == wanted["type"].upper())
            and (not wanted["name"] or record.name == wanted["name"].lower().rstrip("."))
            and (not wanted["content"] or record.content == wanted["content"])
        ]
        return paged(request, [record_json(zone, r) for r in found], per_page_default=100, per_page_max=5000)

    def get_record(self, request: app.Request, grant: Grant) -> app.Response:
        record = self._record(request, grant)
        return success(record_json(self._zone(request, grant), record))

    def create_record(self, request: app.Request, grant: Grant) -> app.Response:
        zone = self._zone(request, grant)
        grant.require_dns_edit()
        now = self.ctx.now()
        record = DnsRecord(uuid.uuid4().hex, zone.id, "", "", "", False, 1, now, now)
        self._write(zone, record, body_object(request), replace=True)
        return success(record_json(zone, record))

    def patch_record(self, request: app.Request, grant: Grant) -> app.Response:
        return self._update(request, grant, replace=False)

    def put_record(self, request: app.Request, grant: Grant) -> app.Response:
        return self._update(request, grant, replace=True)

    def _update(self, request: app.Request, grant: Grant, replace: bool) -> app.Response:
        zone, record = self._zone(request, grant), self._record(request, grant)
        grant.require_dns_edit()
        self._write(zone, record, body_object(request), replace)
        return success(record_json(zone, record))

    def delete_record(self, request: app.Request, grant: Grant) -> app.Response:
        record = self._record(request, grant)
        grant.require_dns_edit()
        del self.ctx.state.records[record.id]
        self._follow(record.name)
        return success({"id": record.id})

    def _write(self, zone: Zone, record: DnsRecord, body: JsonDict, replace: bool) -> None:
        """Validate ``body`` (all fields when ``replace``, else a patch), check conflicts, store."""
        fields: dict[str, Any] = {
            "type": record.type,
            "name": record.name,
            "content": record.content,
            "proxied": False if replace else record.proxied,
            "ttl": 1 if replace else record.ttl,
            "comment": None if replace else record.comment,
        }
        fields.update({k: v for k, v in body.items() if k in fields})
        kind, name, content = str(fields["type"] or "").upper(), fields["name"], fields["content"]
        if kind not in TYPES:
            raise dns_error(f"DNS Validation Error: unsupported record type {fields['type']!r}")
        if not isinstance(name, str) or not name or not isinstance(content, str) or not content:
            raise dns_error("DNS Validation Error: name and content are required strings")
        name = qualify(name, zone.name)
        if name != zone.name and not name.endswith("." + zone.name):
            raise dns_error(f"DNS Validation Error: {name} is not in the zone {zone.name}")
        if fields["proxied"] and kind not in PROXIABLE:
            raise dns_error("This record type cannot be proxied.", 9004)
        ttl = fields["ttl"]
        if not isinstance(ttl, int) or not (ttl == 1 or 30 <= ttl <= 86400):
            raise dns_error("DNS Validation Error: ttl must be 1 (automatic) or 30..86400", 9021)
        content = content.rstrip(".").lower() if kind == "CNAME" else content
        self._check_conflicts(record.id, zone.id, kind, name, content)
        old_name = record.name
        record.type, record.name, record.content = kind, name, content
        record.proxied, record.ttl, record.comment = bool(fields["proxied"]), ttl, fields["comment"]
        record.modified_at = self.ctx.now()
        self.ctx.state.records[record.id] = record
        self._follow(name)
        if old_name and old_name != name:
            self._follow(old_name)

    def _check_conflicts(self, record_id: str, zone_id: str, kind: str, name: str, content: str) -> None:
        for other in self.ctx.state.records.values():
            if other.id == record_id or other.zone_id != zone_id or other.name != name:
                continue
            if other.type == kind and other.content == content:
                raise dns_error("Record already exists.", 81057)
            if kind == "CNAME" and other.type in (*ADDRESS, "CNAME"):
                raise dns_error("An A, AAAA, or CNAME record with that host already exists.", 81053)
            if kind in ADDRESS and other.type == "CNAME":
                raise dns_error("A CNAME record with that host already exists.", 81054)

    def _follow(self, name: str) -> None:
        """A custom domain's CNAME changed: republish what the domain serves."""
        for project in self.ctx.state.projects.values():
            if name in project.domains:
                self.ctx.refresh(project)


def qualify(name: str, zone: str) -> str:
    """``@`` is the apex; a relative name is completed with the zone, as the API does."""
    name = name.lower().rstrip(".")
    if name == "@":
        return zone
    return name if name == zone or name.endswith("." + zone) else f"{name}.{zone}"


def zone_json(zone: Zone) -> JsonDict:
    account_name = ACCOUNT_NAMES.get(zone.account_id, zone.account_id)
    return {
        "id": zone.id,
        "name": zone.name,
        "status": "active",
        "paused": False,
        "type": "full",
        "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.localhost", "bob.ns.cloudflare.localhost"],
        "account": {"id": zone.account_id, "name": account_name},
        "owner": {"id": zone.account_id, "name": account_name, "type": "organization"},
        "meta": {"cdn_only": False, "dns_only": False, "foundation_dns": False, "phishing_detected": False},
        # a zone created on Cloudflare (not moved from another DNS host) has no original host
        "original_name_servers": None,
        "original_registrar": None,
        "original_dnshost": None,
        "created_on": "2024-01-01T00:00:00.000000Z",
        "modified_on": "2024-01-01T00:00:00.000000Z",
        "activated_on": "2024-01-01T00:00:00.000000Z",
    }


def record_json(zone: Zone, record: DnsRecord) -> JsonDict:
    return {
        "id": record.id,
        "zone_id": zone.id,
        "zone_name": zone.name,
        "name": record.name,
        "type": record.type,
        "content": record.content,
        "proxiable": record.type in PROXIABLE,
        "proxied": record.proxied,
        "ttl": record.ttl,
        "locked": False,
        "meta": {"auto_added": False, "managed_by_apps": False, "managed_by_argo_tunnel": False},
        "comment": record.comment,
        "tags": [],
        "created_on": iso(record.created_at),
        "modified_on": iso(record.modified_at),
    }
