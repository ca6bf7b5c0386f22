"""URLs and deployment records from Vercel's own answers - never host names built by hand.

Rules (action-interface.md, "Lessons"): the deployment URL is ``https://`` + its ``url`` field;
the production URL is the ``<project>.vercel.app`` entry of ``alias[]``; the branch alias is the
``-git-`` entry. A host under ``.localhost`` (the sandbox) is ``http://`` with the port of the
deployment's own URL (its ``url`` field carries the port, its aliases do not); any other host is
``https://`` without a port.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ci_deploy.platforms.base import Deployment
from ci_deploy.urls import site_url, split_host

PRODUCTION_SUFFIXES = (".vercel.app", ".vercel.localhost")


def production_alias(aliases: list[str], project_name: str) -> str:
    """The ``<project>.vercel.app`` entry (``.vercel.localhost`` in the sandbox), or ""."""
    wanted = {project_name.lower() + suffix for suffix in PRODUCTION_SUFFIXES}
    return next((a for a in aliases if split_host(a)[0].lower() in wanted), "")


def branch_alias(aliases: list[str]) -> str:
    """The git-branch alias Vercel assigned (``<project>-git-<branch>-<scope>...``), or ""."""
    return next((a for a in aliases if "-git-" in split_host(a)[0]), "")


def slug_branch(branch: str) -> str:
    """The branch's label in Vercel's git-branch alias: lower-cased, every run of characters
    other than ``a-z0-9`` turned into one ``-``, leading/trailing ``-`` trimmed
    (``Feature/Login_Page`` -> ``feature-login-page``), as Vercel shows branch aliases."""
    return re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")


def _created_on(data: dict[str, Any]) -> str:
    millis = data.get("createdAt") or data.get("created")
    if not isinstance(millis, int | float):
        return ""
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat().replace("+00:00", "Z")


def _pr_number(meta: dict[str, Any]) -> int | None:
    value = str(meta.get("githubPrId") or "")
    return int(value) if value.isdigit() else None


def aliases_of(data: dict[str, Any]) -> list[str]:
    value = data.get("alias")
    return [str(a) for a in value] if isinstance(value, list) else []


def to_deployment(
    data: dict[str, Any], project_name: str, *, files_uploaded: int = 0, bytes_uploaded: int = 0
) -> Deployment:
    """A :class:`Deployment` from a ``/v13/deployments/{id}`` body or a ``/v6/deployments`` item."""
    own = str(data.get("url") or "")
    aliases = aliases_of(data)
    production = data.get("target") == "production"
    branch = branch_alias(aliases)
    raw_meta = data.get("meta")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    ready = (data.get("readyState") or data.get("state")) == "READY"
    return Deployment(
        id=str(data.get("id") or data.get("uid") or ""),
        url=site_url(own) if own else "",
        environment="production" if production else "preview",
        inspect_url=str(data.get("inspectorUrl") or ""),
        alias_url=site_url(branch, own) if branch else "",
        production_url=_production_url(aliases, project_name, own) if production else "",
        state="ready" if ready else "building",
        branch=str(meta.get("githubCommitRef") or ""),
        commit_sha=str(meta.get("githubCommitSha") or ""),
        pr_number=_pr_number(meta),
        created_on=_created_on(data),
        files_uploaded=files_uploaded,
        bytes_uploaded=bytes_uploaded,
    )


def _production_url(aliases: list[str], project_name: str, own: str) -> str:
    alias = production_alias(aliases, project_name)
    return site_url(alias, own) if alias else ""
