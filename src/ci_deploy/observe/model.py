"""What the plan decides about the time after the deploy, as plain data (no credentials: those
stay in the settings and are read by the clients that need them)."""

from __future__ import annotations

from dataclasses import dataclass

from ci_deploy.config.observe import WatchThreshold


@dataclass(frozen=True)
class SentryPlan:
    """The Sentry release for this deploy: ``version`` is the commit sha (after the prefix),
    ``environment`` is ``production``, ``preview`` or ``pr-<n>``; only production is finalized."""

    url: str
    org: str
    project: str
    version: str
    environment: str
    repository: str
    commit: str
    finalize: bool
    #: seconds to watch the release after the deploy; None when the watch is off
    watch_seconds: float | None
    threshold: WatchThreshold


@dataclass(frozen=True)
class ObservePlan:
    """Sentry (None when not configured) and whether any notification channel is set."""

    sentry: SentryPlan | None = None
    notify: bool = False

    @property
    def watches(self) -> bool:
        return self.sentry is not None and self.sentry.watch_seconds is not None


def sentry_environment(environment: str, pr_number: int | None) -> str:
    """``production``, else ``pr-<n>`` for a pull request's preview, else ``preview``."""
    if environment == "production":
        return "production"
    return f"pr-{pr_number}" if pr_number else "preview"
