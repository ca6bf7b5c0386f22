"""The Sentry side of a deploy: the release (named after the commit), its commits, a deploy record
for the environment, the release finalized on production, then the optional error watch.

Recording is best effort: a Sentry outage or an unlinked repository is a warning, never a failed
deploy. Only the watch can fail a run, and only by its threshold: the caller applies the same
policy as to a failed health check. A watch that cannot read Sentry warns and passes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from ci_deploy import runner
from ci_deploy.observe.model import SentryPlan
from ci_deploy.observe.sentry import SentryClient, SentryError
from ci_deploy.report.observe import SentryFacts

log = logging.getLogger("ci_deploy.observe.release")

#: the longest pause between two looks at the release during the watch
MAX_POLL_SECONDS = 30.0
#: the watch's own clock, read at call time (tests run a five-minute watch on a fake one)
watch_sleep: Callable[[float], None] = time.sleep
watch_clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class WatchVerdict:
    """``failure`` is the one-line reason the release crossed the threshold, "" when it did not;
    ``summary`` is what the report shows either way."""

    failure: str
    summary: str


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def release_links(plan: SentryPlan) -> tuple[str, str]:
    """The release page, and the same page filtered to this deploy's environment."""
    base = plan.url.rstrip("/")
    release = f"{base}/organizations/{quote(plan.org)}/releases/{quote(plan.version, safe='')}/"
    query = urlencode({"project": plan.project, "environment": plan.environment})
    return release, f"{release}?{query}"


def record_release(client: SentryClient, url: str, started: str) -> SentryFacts:
    """Create (or find) the release, attach its commit, record the deploy, finalize on production;
    each failure becomes a warning and the facts say what is missing."""
    plan = client.plan
    release_url, deploy_url = release_links(plan)
    problems: list[str] = []
    try:
        client.create_release()
    except SentryError as error:
        _warn(str(error))
        return SentryFacts(plan.version, problems=(str(error),))
    if plan.repository:
        try:
            client.set_commits()
        except SentryError as error:
            _warn(f"{error} (is {plan.repository} linked to Sentry?)")
            problems.append("commits not attached")
    finished = iso_now()
    try:
        client.create_deploy(url, started or finished, finished)
    except SentryError as error:
        _warn(str(error))
        problems.append("deploy not recorded")
        deploy_url = ""
    if plan.finalize:
        try:
            client.finalize(finished)
        except SentryError as error:
            _warn(str(error))
            problems.append("not finalized")
    log.info("Sentry release %s (%s)", plan.version, plan.environment)
    return SentryFacts(plan.version, release_url, deploy_url, problems=tuple(problems))


def watch_release(
    client: SentryClient,
    *,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> WatchVerdict:
    """Look at the release every few seconds for ``watch_seconds``; stop early when the
    threshold is crossed. The last look is at the end of the window."""
    sleep, clock = sleep or watch_sleep, clock or watch_clock
    window = client.plan.watch_seconds or 0.0
    interval = min(MAX_POLL_SECONDS, max(1.0, window / 4))
    started = clock()
    deadline = started + window
    looks = 0
    while True:
        remaining = deadline - clock()
        sleep(max(0.0, min(interval, remaining)))
        looks += 1
        try:
            verdict = _look(client, watched=_watched(clock() - started, window))
        except SentryError as error:
            _warn(f"error watch: {error}; the watch is skipped")
            return WatchVerdict("", "error watch could not read Sentry")
        if verdict.failure or clock() >= deadline:
            log.info("Error watch after %d look%s: %s", looks, "" if looks == 1 else "s", verdict.summary)
            return verdict


def _watched(elapsed: float, window: float) -> str:
    """``2m00s``, or ``30s of 5m00s`` when the watch stopped before its window ended."""
    if elapsed >= window:
        return _duration(window)
    return f"{_duration(elapsed)} of {_duration(window)}"


def _look(client: SentryClient, *, watched: str) -> WatchVerdict:
    """One look: the count of new issues and (when judged) the crash-free rate; ``watched`` is
    how long the watch has looked so far."""
    threshold = client.plan.threshold
    found: list[str] = []
    failures: list[str] = []
    if threshold.max_new_issues is not None:
        issues = client.new_issues()
        found.append(f"{len(issues)} new issue{'' if len(issues) == 1 else 's'}")
        if len(issues) > threshold.max_new_issues:
            titles = ", ".join(str(issue.get("shortId") or issue.get("title") or "?") for issue in issues[:3])
            failures.append(f"{len(issues)} new issues ({titles}), more than {threshold.max_new_issues}")
    if threshold.min_crash_free is not None:
        rate = client.crash_free_sessions()
        found.append("no session data" if rate is None else f"crash-free {rate:g}%")
        if rate is not None and rate < threshold.min_crash_free:
            failures.append(f"crash-free sessions {rate:g}%, under {threshold.min_crash_free:g}%")
    summary = f"watched {watched}: {', '.join(found)}"
    failure = f"error watch: release {client.plan.version} has {'; '.join(failures)}" if failures else ""
    return WatchVerdict(failure, summary if not failure else f"❌ {summary}")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(math.ceil(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def _warn(message: str) -> None:
    runner.warning(f"Sentry: {message}", title="ci-deploy")
