"""Pure rules over Cloudflare's data: the deployment form, stages, URLs, branch labels.

Nothing here does I/O, so each rule is pinned by a unit test: how a branch becomes an alias
label (spec 1.11), which of a deployment's answers count as final, which URL is which (always
from the platform's answer, never a host built by hand), how our own deployment is recognised
after a create whose outcome is unknown.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ci_deploy.artifact import ArtifactFile, read_bytes
from ci_deploy.platforms.base import Deployment, DeployRequest, Environment
from ci_deploy.urls import site_url

COMMIT_MESSAGE_BYTES = 384
ALIAS_LABEL_LENGTH = 28
DASHBOARD = "https://dash.cloudflare.com"


def slug_branch(branch: str) -> str:
    """The branch alias label: lowercase; other than ``[a-z0-9-]`` -> ``-`` (runs kept); trim
    ``-``; cut to 28 (a ``-`` left by the cut stays); empty -> ``branch-`` + 10 random."""
    label = re.sub(r"[^a-z0-9-]", "-", branch.lower()).strip("-")[:ALIAS_LABEL_LENGTH]
    if not label:
        alphabet = string.ascii_lowercase + string.digits
        label = "branch-" + "".join(secrets.choice(alphabet) for _ in range(10))
    return label


def truncate_utf8(text: str, limit: int = COMMIT_MESSAGE_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes without splitting a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def deployment_fields(manifest: Mapping[str, str], branch: str, request: DeployRequest) -> dict[str, str]:
    """The text fields of the create-deployment form. ``branch`` decides the environment on
    Cloudflare's side, so it is always sent (production: the project's production branch)."""
    fields = {"manifest": json.dumps(manifest, separators=(",", ":")), "branch": branch}
    if request.commit_sha:
        fields["commit_hash"] = request.commit_sha
    if request.commit_message:
        fields["commit_message"] = truncate_utf8(request.commit_message)
    fields["commit_dirty"] = "true" if request.commit_dirty else "false"
    return fields


def deployment_files(form_files: Mapping[str, ArtifactFile]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The file parts: ``_headers``/``_redirects`` when non-empty, ``_worker.js`` as given
    (Advanced Mode), and ``_routes.json`` only with a worker (it means nothing without one)."""
    parts: list[tuple[str, tuple[str, bytes, str]]] = []
    worker = "_worker.js" in form_files
    for name, kind in (
        ("_headers", "application/octet-stream"),
        ("_redirects", "application/octet-stream"),
        ("_worker.js", "application/javascript"),
        ("_routes.json", "application/json"),
    ):
        file = form_files.get(name)
        if file is None or (name == "_routes.json" and not worker):
            continue
        data = read_bytes(file.source)
        if data or name == "_worker.js":
            parts.append((name, (name, data, kind)))
    return parts


def stage(result: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, status)`` of the deployment's latest stage."""
    latest = result.get("latest_stage") or {}
    return str(latest.get("name") or "queued"), str(latest.get("status") or "idle")


def is_ready(result: Mapping[str, Any]) -> bool:
    """Ready only when the deploy stage itself succeeded; ``deploy``/``active`` is not ready."""
    return stage(result) == ("deploy", "success")


def has_failed(result: Mapping[str, Any]) -> bool:
    return stage(result)[1] in ("failure", "canceled")


def environment_of(result: Mapping[str, Any]) -> Environment:
    return "production" if result.get("environment") == "production" else "preview"


def trigger_metadata(result: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = (result.get("deployment_trigger") or {}).get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def parse_time(value: object) -> float | None:
    """Epoch seconds of an API timestamp (``2021-10-25T12:21:21.538963Z``), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo else None


def is_own_deployment(result: Mapping[str, Any], branch: str, commit: str, not_before: float) -> bool:
    """Whether ``result`` is the deployment we asked for: our branch and commit, created no
    earlier than our request began (server clock)."""
    metadata = trigger_metadata(result)
    if metadata.get("branch") != branch or (commit and metadata.get("commit_hash") != commit):
        return False
    created = parse_time(result.get("created_on"))
    return created is not None and created >= not_before


def host_of(url_or_host: str) -> str:
    """The host (with any port) of a URL, or the value itself when it is a bare host."""
    rest = url_or_host.split("://", 1)[-1]
    return rest.split("/", 1)[0]


def inspect_url(account: str, project: str, deployment_id: str) -> str:
    return f"{DASHBOARD}/{account}/pages/view/{project}/{deployment_id}"


def alias_url(result: Mapping[str, Any], subdomain: str) -> str:
    """A preview's branch alias: the entry of ``aliases`` under the project's subdomain (the
    others, if any, are custom domains). Production has no branch alias."""
    if environment_of(result) == "production":
        return ""
    aliases = [a for a in result.get("aliases") or [] if isinstance(a, str)]
    suffix = "." + host_of(subdomain).partition(":")[0]
    under = [a for a in aliases if host_of(a).partition(":")[0].endswith(suffix)]
    return (under or aliases or [""])[0]


def to_deployment(
    result: Mapping[str, Any],
    *,
    account: str,
    project: str,
    subdomain: str,
    building: bool = False,
    pr_number: int | None = None,
) -> Deployment:
    """A :class:`Deployment` from this deployment's own answer."""
    environment = environment_of(result)
    url = str(result.get("url") or "")
    metadata = trigger_metadata(result)
    deployment_id = str(result.get("id") or "")
    return Deployment(
        id=deployment_id,
        url=url,
        environment=environment,
        inspect_url=inspect_url(account, project, deployment_id),
        alias_url=alias_url(result, subdomain),
        production_url=site_url(subdomain, url) if environment == "production" and subdomain else "",
        state="building" if building else "ready",
        branch=str(metadata.get("branch") or ""),
        commit_sha=str(metadata.get("commit_hash") or ""),
        pr_number=pr_number,
        created_on=str(result.get("created_on") or ""),
    )
