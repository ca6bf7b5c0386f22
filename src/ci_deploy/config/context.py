"""The run's context: the ``GITHUB_*`` variables every Actions job gets, and its event payload.

Read once into a plain dataclass so the rest of the code never reaches into ``os.environ``.
Outside Actions most fields are empty; the defaults for ``server_url`` and ``api_url`` are the
public GitHub ones, and GitHub Enterprise sets its own (never hard-code github.com).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_deploy.errors import InputError

DEFAULT_SERVER_URL = "https://github.com"
DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class RunContext:
    """Facts about the workflow run, straight from the runner's environment."""

    event_name: str = ""
    event_path: str = ""
    repository: str = ""
    repository_owner: str = ""
    sha: str = ""
    ref: str = ""
    ref_name: str = ""
    run_id: str = ""
    run_attempt: str = ""
    actor: str = ""
    server_url: str = DEFAULT_SERVER_URL
    api_url: str = DEFAULT_API_URL
    workspace: str = ""
    #: True inside a GitHub Actions job (``GITHUB_ACTIONS=true``)
    actions: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RunContext:
        def get(name: str, default: str = "") -> str:
            return environ.get(name, "").strip() or default

        repository = get("GITHUB_REPOSITORY")
        return cls(
            event_name=get("GITHUB_EVENT_NAME"),
            event_path=get("GITHUB_EVENT_PATH"),
            repository=repository,
            repository_owner=get("GITHUB_REPOSITORY_OWNER", repository.partition("/")[0]),
            sha=get("GITHUB_SHA"),
            ref=get("GITHUB_REF"),
            ref_name=get("GITHUB_REF_NAME"),
            run_id=get("GITHUB_RUN_ID"),
            run_attempt=get("GITHUB_RUN_ATTEMPT"),
            actor=get("GITHUB_ACTOR"),
            server_url=get("GITHUB_SERVER_URL", DEFAULT_SERVER_URL).rstrip("/"),
            api_url=get("GITHUB_API_URL", DEFAULT_API_URL).rstrip("/"),
            workspace=get("GITHUB_WORKSPACE"),
            actions=environ.get("GITHUB_ACTIONS") == "true",
        )

    @property
    def run_url(self) -> str:
        """The run's page (``…/owner/repo/actions/runs/<id>/attempts/<n>``), or "" when unknown."""
        if not (self.repository and self.run_id):
            return ""
        url = f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return f"{url}/attempts/{self.run_attempt}" if self.run_attempt else url

    @property
    def repository_url(self) -> str:
        return f"{self.server_url}/{self.repository}" if self.repository else ""


def load_event(ctx: RunContext) -> dict[str, Any]:
    """The event payload at ``GITHUB_EVENT_PATH``; ``{}`` when no path is set (a local run).

    A path that is set but unreadable or not a JSON object is an InputError naming the variable:
    the action cannot decide what to deploy without it."""
    if not ctx.event_path:
        return {}
    path = Path(ctx.event_path)
    try:
        with path.open(encoding="utf-8") as handle:
            payload = json.load(handle)
    except FileNotFoundError:
        raise InputError(f"GITHUB_EVENT_PATH points to a missing file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"GITHUB_EVENT_PATH cannot be read ({path}): {exc}") from None
    except RecursionError:
        raise InputError(f"GITHUB_EVENT_PATH holds JSON nested too deeply ({path})") from None
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno}"
        raise InputError(f"GITHUB_EVENT_PATH is not valid JSON ({path}): {where}") from None
    if not isinstance(payload, dict):
        raise InputError(f"GITHUB_EVENT_PATH does not hold a JSON object ({path})")
    return payload
