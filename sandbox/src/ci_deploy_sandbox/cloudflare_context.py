"""The context every part of the emulated Cloudflare API works in: the world, the records, the
clock, and the hosts the account's sites are published on.

Publishing follows the records rather than events: :meth:`Context.refresh` computes every host a
project should serve now (each successful deployment, each branch alias, the production host and
its active custom domains) and brings the site table in line. A deployment whose deploy stage
ends later is published by :meth:`Context.settle`, which runs before every API request — so a
site is served no later than the first API answer that reports it as a success.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.cloudflare_common import PROJECT_NOT_FOUND, CloudflareErrorReply, JsonDict
from ci_deploy_sandbox.cloudflare_state import CloudflareState, Deployment, Project, Zone


class Context:
    def __init__(self, world: app.World, clock: Callable[[], float] = time.time) -> None:
        self.world = world
        self.clock = clock
        self.state = CloudflareState()
        self._published: dict[str, set[str]] = {}  # project key -> hosts it has published
        self._waiting: dict[str, float] = {}  # project key -> next ready_at to publish at
        self._verified: dict[str, set[tuple[str, str]]] = {}  # namespace -> (hash, extension) checked

    def now(self) -> float:
        return self.clock()

    def setting(self, name: str, default: Any) -> Any:
        value = self.world.setting(name, default)
        return default if value is None else value

    def take_build_failure(self) -> bool:
        """Whether this deployment should fail: ``cloudflare.fail_next_builds`` counts down to 0."""
        try:
            wanted = int(self.setting("cloudflare.fail_next_builds", 0))
        except (TypeError, ValueError):
            wanted = 0
        if wanted <= 0:
            return False
        self.world.set_setting("cloudflare.fail_next_builds", wanted - 1)
        return True

    # --- lookups --------------------------------------------------------------------------------

    @staticmethod
    def key(account_id: str, name: str) -> str:
        return f"{account_id}/{name}"

    def project(self, account_id: str, name: str) -> Project:
        found = self.state.projects.get(self.key(account_id, name))
        if found is None:
            raise CloudflareErrorReply(
                404,
                PROJECT_NOT_FOUND,
                "Project not found. The specified project name does not match any of your existing projects.",
            )
        return found

    def verified_hashes(self, project: Project) -> set[tuple[str, str]]:
        """The (hash, extension) pairs of ``project`` already proven to match their content."""
        return self._verified.setdefault(project.namespace, set())

    def url(self, host: str) -> str:
        """A site URL: ``http://`` and the sandbox's port, since ``.localhost`` has no TLS here."""
        return f"http://{host}:{self.world.port}"

    def zones(self) -> list[Zone]:
        """Every zone: those named by the ``cloudflare.zones`` setting (names in the sandbox
        account, or ``{"name", "account_id"}`` objects) and those created through the API."""
        found: dict[str, Zone] = {}
        for entry in self.setting("cloudflare.zones", []) or []:
            if isinstance(entry, dict):
                name, account = str(entry.get("name", "")), str(entry.get("account_id", ""))
            else:
                name, account = str(entry), ""
            zone = configured_zone(name, account or identities.CLOUDFLARE_ACCOUNT_ID)
            found[zone.id] = zone
        found.update(self.state.zones)
        return sorted(found.values(), key=lambda zone: zone.name)

    def zone_for(self, host: str, account_id: str) -> Zone | None:
        """The account's zone that holds ``host`` (the longest matching zone name)."""
        host = host.lower().rstrip(".")
        matches = [
            zone
            for zone in self.zones()
            if zone.account_id == account_id and (host == zone.name or host.endswith("." + zone.name))
        ]
        return max(matches, key=lambda zone: len(zone.name), default=None)

    def cname_target(self, host: str) -> str | None:
        """Where a CNAME record named ``host`` points, in any zone (lower-case, no final dot)."""
        host = host.lower().rstrip(".")
        zone_ids = {zone.id for zone in self.zones()}
        for record in self.state.records.values():
            if record.type == "CNAME" and record.name == host and record.zone_id in zone_ids:
                return record.content.lower().rstrip(".")
        return None

    # --- publishing -----------------------------------------------------------------------------

    def watch(self, project: Project, deployment: Deployment) -> None:
        """Publish ``deployment`` once its deploy stage ends (now, or at a later :meth:`settle`)."""
        key = self.key(project.account_id, project.name)
        if deployment.ready_at <= self.now():
            self.refresh(project)
        else:
            self._waiting[key] = min(self._waiting.get(key, deployment.ready_at), deployment.ready_at)

    def settle(self) -> None:
        """Publish every deployment whose deploy stage has ended since the last look."""
        now = self.now()
        for key, ready_at in list(self._waiting.items()):
            project = self.state.projects.get(key)
            if project is None:
                del self._waiting[key]
                continue
            if ready_at > now:
                continue
            self.refresh(project)
            later = [d.ready_at for d in project.deployments.values() if d.ready_at > now]
            if later:
                self._waiting[key] = min(later)
            else:
                del self._waiting[key]

    def refresh(self, project: Project) -> None:
        """Bring the site table in line with what ``project`` should serve now."""
        key = self.key(project.account_id, project.name)
        wanted = desired_sites(project, self.now(), self.cname_target)
        for host in self._published.get(key, set()) - wanted.keys():
            self.world.sites.unpublish(host)
        for host, site in wanted.items():
            self.world.sites.publish(host, site)
        self._published[key] = set(wanted)

    def refresh_all(self) -> None:
        for project in self.state.projects.values():
            self.refresh(project)
            for deployment in project.deployments.values():
                if deployment.ready_at > self.now():
                    self.watch(project, deployment)

    def withdraw(self, project: Project) -> None:
        """Stop serving every host of a deleted project."""
        key = self.key(project.account_id, project.name)
        for host in self._published.pop(key, set()):
            self.world.sites.unpublish(host)
        self._waiting.pop(key, None)


def configured_zone(name: str, account_id: str) -> Zone:
    """A zone named by a setting; its id is derived from the name so it is stable across starts."""
    name = name.lower().rstrip(".")
    zone_id = hashlib.sha256(f"{account_id}/{name}".encode()).hexdigest()[:32]
    return Zone(zone_id, name, account_id)


def site_of(project: Project, deployment: Deployment) -> app.Site:
    return app.Site(
        deployment_id=deployment.id,
        namespace=project.namespace,
        files=deployment.manifest,
        rules="cloudflare",
        headers_file=deployment.headers_file,
        redirects_file=deployment.redirects_file,
    )


def desired_sites(project: Project, now: float, cname: Callable[[str], str | None]) -> dict[str, app.Site]:
    """Every host ``project`` serves at ``now``: successful deployments, branch aliases (the
    newest success of their branch), production (the canonical deployment) and active custom
    domains (what their CNAME points at: production, or a branch alias for a preview domain)."""
    sub = project.subdomain
    sites: dict[str, app.Site] = {}
    for deployment in project.deployments.values():
        if deployment.succeeded(now):
            sites[f"{deployment.short_id}.{sub}"] = site_of(project, deployment)
    for label, deployment in project.alias_targets(now).items():
        sites[f"{label}.{sub}"] = site_of(project, deployment)
    canonical = project.canonical(now)
    if canonical is not None:
        sites[sub] = site_of(project, canonical)
    for domain in project.domains.values():
        if domain.status != "active":
            continue
        target = cname(domain.name)
        site = sites.get(target) if target else None
        site = site or sites.get(sub)
        if site is not None:
            sites[domain.name] = site
    return sites


def public_env_vars(env_vars: JsonDict) -> JsonDict:
    """Env vars as the API shows them: ``secret_text`` values are never returned. The sandbox
    answers ``"value": ""`` (what the real API returns is unverified, so clients must not compare
    secret values either way)."""
    shown: JsonDict = {}
    for name, var in env_vars.items():
        if isinstance(var, dict) and var.get("type") == "secret_text":
            shown[name] = {"type": "secret_text", "value": ""}
        else:
            shown[name] = var
    return shown
