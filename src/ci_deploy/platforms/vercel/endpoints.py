"""Where a Vercel call goes: the API's address, a project's path, the query of a team's scope,
and the run's first read (:mod:`ci_deploy.head_start`), all without the HTTP stack, which the
head start's read goes out before."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlencode

from ci_deploy import hash_ahead
from ci_deploy.first_reads import FirstRead
from ci_deploy.urls import path_segment

DEFAULT_API_URL = "https://api.vercel.com"


def scope_params(team_id: str | None, slug: str | None) -> dict[str, str]:
    """The query that puts a call in a team's scope; empty for a personal account."""
    if team_id:
        return {"teamId": team_id}
    if slug:
        return {"slug": slug}
    return {}


def project_path(id_or_name: str) -> str:
    return f"/v9/projects/{path_segment(id_or_name)}"


def first_reads(raw: Mapping[str, str]) -> Sequence[FirstRead]:
    """A run's first read, as :class:`~.api.VercelApi` sends it: the project, in a team's scope
    or the personal account's (an account given by its slug needs ``/v2/user`` first: no head
    start). Once it has left, the folder's SHA-1s are worked out in a child process
    (:mod:`ci_deploy.hash_ahead`) for the create call."""
    account = raw["account"]
    if account and not account.startswith("team_"):
        return []
    base_url = (raw["api-url"] or DEFAULT_API_URL).rstrip("/")
    query = urlencode(scope_params(account, None))
    url = base_url + project_path(raw["project"]) + (f"?{query}" if query else "")
    folder = Path(raw["working-directory"] or ".") / (raw["artifact"] or "dist")
    return [FirstRead.of("GET", url, raw["token"], prepare=functools.partial(hash_ahead.start, folder))]
