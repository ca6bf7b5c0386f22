"""GitHub event -> deployment target (being built in issue #2; the type is the contract)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Command = Literal["deploy", "cleanup", "skip"]


@dataclass(frozen=True)
class Target:
    """What this run should do, decided from the event and the inputs."""

    command: Command
    environment: Literal["preview", "production"]
    #: branch recorded on the deployment (never the production branch for a preview)
    branch: str
    sha: str
    pr_number: int | None = None
    #: head repository differs from this repository (fork or Dependabot: no secrets)
    from_fork: bool = False
    event_name: str = ""
    #: one line saying why, for logs and the plan ("push to main -> production")
    reason: str = ""
