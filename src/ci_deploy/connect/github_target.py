"""Which repository ``connect`` writes to and with which GitHub token.

The token is ``GH_TOKEN``, else ``GITHUB_TOKEN``, else what ``gh auth token`` prints when the
GitHub CLI is installed and logged in. The repository is ``--repo owner/name``, else the
``origin`` remote of the git checkout in the current folder. The API is ``GITHUB_API_URL``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping

from ci_deploy.errors import InputError

DEFAULT_API_URL = "https://api.github.com"
_REMOTE = re.compile(r"(?:^git@[^:]+:|^ssh://git@[^/]+/|^https?://[^/]+/)([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def github_token(environ: Mapping[str, str]) -> str:
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        if environ.get(name, "").strip():
            return environ[name].strip()
    gh = shutil.which("gh", path=environ.get("PATH"))
    if gh is None:
        raise InputError(
            "no GitHub token: set GH_TOKEN (a token that may write the repository's secrets and "
            "variables), or install the GitHub CLI (gh) and run `gh auth login`"
        )
    done = subprocess.run([gh, "auth", "token"], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise InputError("no GitHub token: `gh auth token` found none; run `gh auth login` or set GH_TOKEN")
    return done.stdout.strip()


def repository(wanted: str | None, environ: Mapping[str, str]) -> str:
    """``owner/name`` from ``--repo`` or the ``origin`` remote."""
    if wanted:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", wanted):
            raise InputError(f"--repo {wanted}: expected owner/name")
        return wanted
    git = shutil.which("git", path=environ.get("PATH"))
    url = ""
    if git is not None:
        done = subprocess.run(
            [git, "remote", "get-url", "origin"], capture_output=True, text=True, timeout=30, check=False
        )
        url = done.stdout.strip() if done.returncode == 0 else ""
    found = _REMOTE.search(url)
    if found is None:
        raise InputError("which repository? pass --repo owner/name (no GitHub 'origin' remote found here)")
    return f"{found.group(1)}/{found.group(2)}"


def api_url(environ: Mapping[str, str]) -> str:
    return environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
