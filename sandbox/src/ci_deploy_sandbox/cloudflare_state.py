"""The emulated Cloudflare account's records: projects with their deployments and custom domains,
zones created at run time, DNS records, and the upload-token signing key.

Records hold facts fixed at creation (a deployment's time, its ``ready_at`` and whether it is
to fail); everything that changes with time (stages, which deployment is live) is derived from
them and the clock, so a restarted sandbox picks up exactly where it stopped.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from ci_deploy_sandbox.cloudflare_common import JsonDict


@dataclass
class Deployment:
    id: str
    environment: str  # "production" | "preview"
    branch: str
    created_at: float
    ready_at: float  # when the deploy stage ends (success, or failure when ``fails``)
    fails: bool
    manifest: dict[str, str]
    production_branch: str
    number: int = 0  # creation order within the project (timestamps can tie)
    label: str = ""  # the branch alias label of a preview ("" for production)
    commit_hash: str = ""
    commit_message: str = ""
    commit_dirty: bool | None = None
    headers_file: str = ""
    redirects_file: str = ""
    routes_json: str = ""
    uses_functions: bool = False
    env_vars: JsonDict = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    def succeeded(self, now: float) -> bool:
        return not self.fails and now >= self.ready_at


@dataclass
class CustomDomain:
    id: str
    name: str
    created_at: float
    status: str = "pending"  # "pending" until a CNAME to the project is observed, then "active"
    zone_tag: str = ""


@dataclass
class Project:
    id: str
    account_id: str
    name: str
    subdomain: str
    production_branch: str
    created_at: float
    deployment_configs: dict[str, JsonDict]
    branch_labels: dict[str, str] = field(default_factory=dict)  # random labels stay stable
    pinned_id: str = ""  # the rollback target, live until a newer production deployment succeeds
    pinned_after: int = 0  # the number of the last deployment created before the rollback
    created_count: int = 0
    deployments: dict[str, Deployment] = field(default_factory=dict)  # in creation order
    domains: dict[str, CustomDomain] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        """The blob namespace of this project's uploaded files (the per-project hash store)."""
        return f"cloudflare/{self.id}"

    def canonical(self, now: float) -> Deployment | None:
        """The live production deployment: the newest that succeeded, unless a rollback pinned an
        older one and nothing newer has succeeded since."""
        newest = None
        for deployment in self.deployments.values():
            if deployment.environment == "production" and deployment.succeeded(now):
                newest = deployment
        pinned = self.deployments.get(self.pinned_id)
        if pinned is not None and (newest is None or newest.number <= self.pinned_after):
            return pinned
        return newest

    def add(self, deployment: Deployment) -> None:
        self.created_count += 1
        deployment.number = self.created_count
        self.deployments[deployment.id] = deployment

    def alias_targets(self, now: float) -> dict[str, Deployment]:
        """Each branch alias label and the newest successful preview deployment it points at."""
        targets: dict[str, Deployment] = {}
        for deployment in self.deployments.values():
            if deployment.label and deployment.succeeded(now):
                targets[deployment.label] = deployment
        return targets

    def to_json(self) -> JsonDict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: JsonDict) -> Project:
        fields = dict(data)
        fields["deployments"] = {k: Deployment(**v) for k, v in data.get("deployments", {}).items()}
        fields["domains"] = {k: CustomDomain(**v) for k, v in data.get("domains", {}).items()}
        return cls(**fields)


@dataclass
class Zone:
    id: str
    name: str
    account_id: str


@dataclass
class DnsRecord:
    id: str
    zone_id: str
    type: str
    name: str
    content: str
    proxied: bool
    ttl: int
    created_at: float
    modified_at: float
    comment: str | None = None


@dataclass
class CloudflareState:
    projects: dict[str, Project] = field(default_factory=dict)  # by "<account>/<name>"
    zones: dict[str, Zone] = field(default_factory=dict)  # created through POST /zones
    records: dict[str, DnsRecord] = field(default_factory=dict)  # by id, across zones
    upload_secret: str = field(default_factory=lambda: secrets.token_hex(32))

    def to_json(self) -> JsonDict:
        return {
            "projects": {k: p.to_json() for k, p in self.projects.items()},
            "zones": {k: asdict(z) for k, z in self.zones.items()},
            "records": {k: asdict(r) for k, r in self.records.items()},
            "upload_secret": self.upload_secret,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CloudflareState:
        state = cls(
            projects={k: Project.from_json(v) for k, v in data.get("projects", {}).items()},
            zones={k: Zone(**v) for k, v in data.get("zones", {}).items()},
            records={k: DnsRecord(**v) for k, v in data.get("records", {}).items()},
        )
        if data.get("upload_secret"):
            state.upload_secret = str(data["upload_secret"])
        return state
