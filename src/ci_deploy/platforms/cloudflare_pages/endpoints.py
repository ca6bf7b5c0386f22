"""Where a Cloudflare Pages call goes: the API's address and the paths of a project's calls.

No HTTP stack here: the head start (:mod:`.early_reads`) builds its first reads from these
before httpx is imported.
"""

from __future__ import annotations

from ci_deploy.urls import path_segment

DEFAULT_API_URL = "https://api.cloudflare.com/client/v4"
CHECK_MISSING = "pages/assets/check-missing"


def projects_path(account: str, project: str | None = None) -> str:
    """``accounts/{account}/pages/projects[/{project}]``: where every Pages call of a project starts."""
    path = f"accounts/{path_segment(account)}/pages/projects"
    return path if project is None else f"{path}/{path_segment(project)}"


def upload_token_path(account: str, project: str) -> str:
    return f"{projects_path(account, project)}/upload-token"
