"""Which repository ``connect`` writes to and with which GitHub token.

The token is ``GH_TOKEN``, else ``GITHUB_TOKEN``, else what ``gh auth token`` prints when the
GitHub CLI is installed and logged in, else, when the project's OAuth app client id is configured
(``--github-client-id`` or ``CI_DEPLOY_GITHUB_CLIENT_ID``), a token from GitHub's device flow on
``GITHUB_SERVER_URL`` (GitHub Enterprise; default github.com) with the ``repo`` scope (what
writing a repository's Actions secrets and variables needs; a GitHub App's user token gets its
app's permissions instead: Secrets, Variables and Environments write).

The repository is ``--repo owner/name``, else the ``origin`` remote of the git checkout in the
current folder. The API is ``GITHUB_API_URL``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping

from ci_deploy.connect import device_flow
from ci_deploy.errors import InputError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
CLIENT_ID_VARIABLE = "CI_DEPLOY_GITHUB_CLIENT_ID"
#: the classic OAuth scope that may write Actions secrets and variables (private repos too)
DEVICE_SCOPE = "repo"
_REMOTE = re.compile(r"(?:^git@[^:]+:|^ssh://git@[^/]+/|^https?://[^/]+/)([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def github_token(
    environ: Mapping[str, str], client_id: str | None = None, clock: device_flow.Clock | None = None
) -> str:
    """The GitHub token: given, from ``gh``, or signed in for with the device flow."""
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        if environ.get(name, "").strip():
            return environ[name].strip()
    client_id = (client_id or environ.get(CLIENT_ID_VARIABLE, "")).strip()
    gh = shutil.which("gh", path=environ.get("PATH"))
    if gh is None and not client_id:
        raise InputError(
            "no GitHub token: set GH_TOKEN (a token that may write the repository's secrets and "
            "variables), install the GitHub CLI (gh) and run `gh auth login`, or configure an "
            f"OAuth app for the device flow (--github-client-id or {CLIENT_ID_VARIABLE})"
        )
    if gh is not None:
        done = subprocess.run([gh, "auth", "token"], capture_output=True, text=True, timeout=30, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
        if not client_id:
            raise InputError(
                "no GitHub token: `gh auth token` found none; run `gh auth login` or set GH_TOKEN"
            )
    return device_flow.sign_in(github_device_flow(client_id, environ), clock).access_token


def github_device_flow(client_id: str, environ: Mapping[str, str]) -> device_flow.DeviceFlow:
    """GitHub's device flow: ``/login/device/code`` and ``/login/oauth/access_token`` on the
    server (not the API) host."""
    server = environ.get("GITHUB_SERVER_URL", "").strip().rstrip("/") or DEFAULT_SERVER_URL
    return device_flow.DeviceFlow(
        provider="GitHub",
        device_url=f"{server}/login/device/code",
        token_url=f"{server}/login/oauth/access_token",
        client_id=client_id,
        scope=DEVICE_SCOPE,
        client_id_from=f"--github-client-id or {CLIENT_ID_VARIABLE}",
        fallback="set GH_TOKEN",
    )


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
