"""The one protocol every platform adapter implements, and the plain data it returns.

The pipeline talks only to :class:`Platform`; it never asks which platform it has. Everything
platform-specific (hashing, upload protocol, URL rules, how previews are found) lives in the
adapter. Adapters never know about GitHub.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # types only: ``--help`` and the input table need neither
    from ci_deploy.artifact import Artifact
    from ci_deploy.connect.model import ConnectSpec
    from ci_deploy.first_reads import FirstReads

Environment = Literal["preview", "production"]
DomainState = Literal["active", "pending", "error"]


#: told of a deployment (building) as soon as it exists (:meth:`Platform.deploy`)
Created = Callable[["Deployment"], None]

#: the sandbox names the deployment that answered in this response header; the real platforms do
#: not send it, so the health checker only uses it when present
SERVED_BY_HEADER = "x-sandbox-deployment"


@dataclass(frozen=True)
class PlatformSettings:
    """What an adapter needs to connect; built by the pipeline from the validated config."""

    token: str
    project: str
    account: str | None = None
    create_project: bool = True
    production_branch: str = "main"
    api_url: str | None = None
    #: seconds for the whole wait until ready (upload excluded)
    timeout: float = 600.0
    #: Vercel Deployment Protection bypass secret, sent by the health checker (never logged)
    protection_bypass: str | None = None


@dataclass(frozen=True)
class DeployRequest:
    """What to deploy and how it is recorded on the platform."""

    environment: Environment
    branch: str
    commit_sha: str
    commit_message: str = ""
    commit_dirty: bool = False
    pr_number: int | None = None
    #: unique per run: lets an adapter find its own deployment after an ambiguous create
    run_key: str = ""
    #: ``owner/repo`` and its web URL, when known (Vercel gitMetadata.remoteUrl)
    repository: str | None = None
    remote_url: str | None = None
    run_url: str | None = None
    #: wait until the platform says the deployment is ready
    wait: bool = True


@dataclass(frozen=True)
class PreflightFacts:
    """What a deploy will do, for the read-only checks that must pass before its first write."""

    artifact: Artifact = field(repr=False)
    request: DeployRequest
    #: the rendered ``preview-domain`` (previews only), else ""
    preview_host: str = ""


@dataclass(frozen=True)
class EnvVar:
    """One environment variable for the deployed app. ``secret`` values are never printed."""

    name: str
    value: str
    secret: bool


@dataclass(frozen=True)
class DnsRecord:
    type: str
    name: str
    value: str


@dataclass(frozen=True)
class DomainStatus:
    """A custom domain's state; ``records`` are the DNS records still needed; ``certificate`` is
    the TLS certificate's state as the platform reports it ("" when it says nothing)."""

    name: str
    status: DomainState
    records: tuple[DnsRecord, ...] = ()
    message: str = ""
    certificate: str = ""


@dataclass(frozen=True)
class UploadPlan:
    """What a deploy would upload. ``files_new``/``bytes_new`` are None when unknown (no token)."""

    files_total: int
    bytes_total: int
    files_distinct: int
    files_new: int | None = None
    bytes_new: int | None = None


@dataclass(frozen=True)
class Deployment:
    """A deployment as the platform reported it, with URLs taken from the platform's answer.

    ``url`` is the unique, immutable deployment URL; ``alias_url`` the branch alias (or empty);
    ``production_url`` the project's production URL (production deployments only).
    """

    id: str
    url: str
    environment: Environment
    inspect_url: str = ""
    alias_url: str = ""
    production_url: str = ""
    #: "ready", or "building" when the caller chose not to wait
    state: Literal["ready", "building"] = "ready"
    branch: str = ""
    commit_sha: str = ""
    pr_number: int | None = None
    created_on: str = ""
    files_uploaded: int = 0
    bytes_uploaded: int = 0


@dataclass(frozen=True)
class HealthHints:
    """What the health checker may use to confirm which deployment answered.

    ``served_by_header``: a response header that, when present, names the deployment;
    ``served_by_values``: values of it that mean "this deployment". Extra request headers
    (``x-vercel-protection-bypass``) go in ``headers``: they are secrets and never logged.
    """

    served_by_header: str = SERVED_BY_HEADER
    served_by_values: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


class Platform(Protocol):
    """One deploy target. Methods that change something are only called after ``connect``."""

    name: str

    def prepare(self, artifact: Artifact, request: DeployRequest) -> None:
        """Start work that needs no network (hashing) so it overlaps with connecting; the
        artifact already passed :attr:`PlatformSpec.check_limits`."""
        ...

    def connect(self, *, read_only: bool = False) -> None:
        """Check the token, find the account/team and the project (creating it when allowed and
        not ``read_only``). 401/403, a missing project or an ambiguous account raise
        :class:`~ci_deploy.errors.InputError` subclasses (exit 2)."""
        ...

    def preflight(self, facts: PreflightFacts) -> None:
        """After ``connect(read_only=True)`` and before anything is created (the project
        included): every check the platform can answer read-only (the production branch's name,
        the upload token's file limit, the preview host's zone). Raises InputError (exit 2)."""
        ...

    def plan_upload(self, artifact: Artifact, request: DeployRequest) -> UploadPlan:
        """What would be uploaded; may make read-only calls when connected (dry run)."""
        ...

    def existing_env_names(self, environment: Environment) -> set[str]:
        """Names of env vars already set on the project for ``environment`` (values unread)."""
        ...

    def set_env_vars(self, variables: list[EnvVar], environment: Environment) -> None:
        """Upsert ``variables`` for ``environment`` before the deployment is created; other
        keys are left alone; secret values are never compared or printed."""
        ...

    def live_production(self) -> Deployment | None:
        """The production deployment live right now (the rollback target), or None."""
        ...

    def deploy(
        self, artifact: Artifact, request: DeployRequest, created: Created | None = None
    ) -> Deployment:
        """Upload what is missing, create exactly one deployment, wait (``request.wait``) until
        it is ready within ``settings.timeout``. Raises DeployFailed / DeployTimeout. ``created``
        hears of the deployment (building) as soon as it exists: a run that fails or is
        cancelled while it waits can still name it."""
        ...

    def assign_preview_domain(self, deployment: Deployment, host: str) -> str:
        """Point ``host`` at this preview deployment; returns the URL to open."""
        ...

    def remove_preview_domain(self, host: str) -> None:
        """Undo :meth:`assign_preview_domain` (cleanup); missing is fine."""
        ...

    def attach_domains(self, names: list[str], *, wait_seconds: float) -> list[DomainStatus]:
        """Attach custom domains to production (idempotent), fix DNS where allowed, poll until
        active or ``wait_seconds`` pass; pending ones are reported, not raised."""
        ...

    def domain_status(self, names: list[str]) -> list[DomainStatus]:
        """Current state of ``names`` without changing anything."""
        ...

    def find_previews(self, pr_number: int, branch: str | None, known_ids: set[str]) -> list[Deployment]:
        """This PR's preview deployments: those recorded for it (``known_ids``, from GitHub
        deployment payloads) plus what the platform lists for it. Never production ones."""
        ...

    def delete_deployment(self, deployment_id: str) -> None:
        """Delete a preview deployment (forcing aliased ones); refuses the live production one."""
        ...

    def rollback(self, to_id: str | None = None) -> Deployment:
        """Make an earlier production deployment live (default: the one before the live one)."""
        ...

    def promote(self, deployment_id: str) -> Deployment:
        """Make ``deployment_id`` the live production deployment."""
        ...

    def health_hints(self, deployment: Deployment) -> HealthHints:
        """How the health checker can tell this deployment answered."""
        ...

    def close(self) -> None:
        """Release HTTP clients."""
        ...


@dataclass(frozen=True)
class PlatformSpec:
    """What the rest of the program knows of a platform before (and without) connecting to it.

    ``env_fallbacks``: input -> the platform's usual env var, read when the input is empty.
    ``own_inputs``: inputs only this platform reads (ignored, with a warning, elsewhere).
    ``slug_branch``: the platform's label for a branch in alias hosts (``{{branch}}``).
    ``check_limits``: raises LimitError / ArtifactError naming the file; pure, no network.
    ``open``: the adapter, imported lazily.
    ``connect``: what ``ci-deploy connect``/``init`` store and read for it.
    ``first_reads``: the GETs a run sends first, built from the raw inputs (the head start).
    """

    name: str
    env_fallbacks: Mapping[str, str]
    own_inputs: tuple[str, ...]
    slug_branch: Callable[[str], str]
    check_limits: Callable[[Artifact, Environment], None]
    open: Callable[[PlatformSettings], Platform]
    connect: ConnectSpec
    first_reads: FirstReads
