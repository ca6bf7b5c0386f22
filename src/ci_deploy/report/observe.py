"""What the report says about Sentry: the release and deploy links and the error watch's verdict,
as one cell of the facts table (the PR comment and the job summary alike)."""

from __future__ import annotations

from dataclasses import dataclass

from ci_deploy.report.text import escape, link


@dataclass(frozen=True)
class SentryFacts:
    """``release_url``/``deploy_url`` are empty when the call failed; ``watch`` is the error
    watch's one-line verdict ("" when it did not run); ``problems`` are warnings already shown."""

    version: str
    release_url: str = ""
    deploy_url: str = ""
    watch: str = ""
    problems: tuple[str, ...] = ()


def sentry_cell(facts: SentryFacts | None) -> str:
    """``release <version> · deploy · watch verdict``, or "" without Sentry."""
    if facts is None:
        return ""
    short = facts.version if len(facts.version) <= 24 else facts.version[:23] + "…"
    parts = [link(f"release {short}", facts.release_url) if facts.release_url else escape(f"release {short}")]
    if facts.deploy_url:
        parts.append(link("deploy", facts.deploy_url))
    if facts.watch:
        parts.append(escape(facts.watch))
    if facts.problems:
        parts.append(escape("; ".join(facts.problems)))
    return " · ".join(parts)
