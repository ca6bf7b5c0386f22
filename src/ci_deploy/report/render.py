"""One renderer for what a run tells people: the sticky PR comment and the job summary.

Both show the same facts, drawn from one :class:`ReportFacts`; the summary adds what matters to
whoever runs the job (pending DNS records, env var names set, the dry-run plan). User-supplied
strings are escaped so they cannot break a table or inject markup, and the final text passes
through redaction: a token that leaked into an error message still never reaches GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ci_deploy.platforms.base import DomainStatus
from ci_deploy.redaction import redact
from ci_deploy.report.observe import SentryFacts, sentry_cell
from ci_deploy.report.perf import PerfFacts, perf_table
from ci_deploy.report.text import cell_text, escape, link

State = Literal["deploying", "ready", "failed", "cancelled", "removed", "rolled-back", "planned"]
Audience = Literal["comment", "summary"]
_MAX_HEALTH_ROWS = 50


@dataclass(frozen=True)
class HealthRow:
    """One checked path: status code (None when no answer), timings in ms, body size."""

    path: str
    status: int | None
    ttfb_ms: float | None
    total_ms: float | None
    bytes: int | None
    ok: bool
    note: str = ""


@dataclass(frozen=True)
class HealthFacts:
    result: Literal["passed", "failed", "skipped"]
    rows: tuple[HealthRow, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class PlanFacts:
    """What a dry run would do. ``files_new``/``bytes_new`` are None when unknown."""

    files_total: int
    bytes_total: int
    files_new: int | None = None
    bytes_new: int | None = None
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportFacts:
    platform: str
    project: str
    environment: str
    state: State
    url: str = ""
    deployment_url: str = ""
    alias_url: str = ""
    inspect_url: str = ""
    deployment_id: str = ""
    commit_sha: str = ""
    branch: str = ""
    pr_number: int | None = None
    health: HealthFacts | None = None
    domains: tuple[DomainStatus, ...] = ()
    env_names: tuple[str, ...] = ()
    error: str = ""
    hint: str = ""
    run_url: str = ""
    rolled_back_to: str = ""
    plan: PlanFacts | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    sentry: SentryFacts | None = None
    perf: PerfFacts | None = None


def _code(text: str) -> str:
    """A code span: Markdown, links and mentions are inert inside it, so only the span's own
    delimiters, pipes and line breaks need escaping."""
    return f"`{cell_text(text)}`" if text else ""


def _title(facts: ReportFacts) -> str:
    kind = "Production" if facts.environment == "production" else "Preview"
    where = f"{escape(facts.platform)} · {escape(facts.project)}"
    titles: dict[str, str] = {
        "deploying": f"⏳ {kind} deploying… ({where})",
        "ready": f"✅ {kind} ready ({where})",
        "failed": f"❌ {kind} deploy failed ({where})",
        "cancelled": f"⏹️ {kind} deploy cancelled ({where})",
        "removed": f"🧹 Preview removed ({where})",
        "rolled-back": f"↩️ {kind} rolled back ({where})",
        "planned": f"📝 Dry run: nothing was changed ({where})",
    }
    return f"### {titles[facts.state]}"


def health_line(health: HealthFacts | None) -> str:
    """One line: the verdict, how many paths, and the slowest one."""
    if health is None or health.result == "skipped":
        return "skipped"
    mark = "✅ passed" if health.result == "passed" else "❌ failed"
    passed = sum(1 for row in health.rows if row.ok)
    parts = [mark, f"{passed}/{len(health.rows)} paths ok"] if health.rows else [mark]
    slowest = _slowest(health.rows)
    if slowest is not None and slowest.total_ms is not None:
        parts.append(f"slowest {_code(slowest.path)} {slowest.total_ms:.0f} ms")
    if health.message:
        parts.append(escape(health.message))
    return " · ".join(parts)


def _slowest(rows: tuple[HealthRow, ...]) -> HealthRow | None:
    timed = [row for row in rows if row.total_ms is not None]
    return max(timed, key=lambda row: row.total_ms or 0.0) if timed else None


def _facts_table(facts: ReportFacts) -> list[str]:
    rows: list[tuple[str, str]] = [
        ("URL", link(facts.url, facts.url)),
        ("Alias", link(facts.alias_url, facts.alias_url)),
        ("Deployment", link(facts.deployment_url, facts.deployment_url)),
        ("Deployment ID", _code(facts.deployment_id)),
        ("Inspect", link("platform dashboard", facts.inspect_url) if facts.inspect_url else ""),
        ("Commit", _code(facts.commit_sha[:7])),
        ("Branch", _code(facts.branch)),
        ("Environment", escape(facts.environment)),
        ("Health", health_line(facts.health) if facts.state in ("ready", "failed", "rolled-back") else ""),
        ("Rolled back to", _code(facts.rolled_back_to)),
        ("Sentry", sentry_cell(facts.sentry)),
        ("Run", link("workflow run", facts.run_url) if facts.run_url else ""),
    ]
    lines = ["| | |", "|---|---|"]
    lines += [f"| **{name}** | {value} |" for name, value in rows if value]
    return lines


def _health_table(health: HealthFacts) -> list[str]:
    slowest = _slowest(health.rows)
    lines = ["| path | status | ttfb ms | total ms | bytes | |", "|---|---|---|---|---|---|"]
    for row in health.rows[:_MAX_HEALTH_ROWS]:
        flag = ("✅" if row.ok else "❌") + (" **slowest**" if row is slowest else "")
        note = f" {escape(row.note)}" if row.note else ""
        status = row.status if row.status is not None else "—"
        size = row.bytes if row.bytes is not None else "—"
        timings = f"{_ms(row.ttfb_ms)} | {_ms(row.total_ms)}"
        lines.append(f"| {_code(row.path)} | {status} | {timings} | {size} | {flag}{note} |")
    if len(health.rows) > _MAX_HEALTH_ROWS:
        lines.append(f"| … {len(health.rows) - _MAX_HEALTH_ROWS} more | | | | | |")
    return lines


def _ms(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "—"


def _domains_table(domains: tuple[DomainStatus, ...]) -> list[str]:
    lines = ["| domain | status | DNS records still needed |", "|---|---|---|"]
    for domain in domains:
        records = "<br>".join(f"{_code(r.type)} {_code(r.name)} → {_code(r.value)}" for r in domain.records)
        status = escape(domain.status) + (
            f"<br>certificate: {escape(domain.certificate)}" if domain.certificate else ""
        )
        lines.append(f"| {_code(domain.name)} | {status} | {records or '—'} |")
    return lines


def _plan_lines(plan: PlanFacts) -> list[str]:
    new = "unknown" if plan.files_new is None else f"{plan.files_new} files, {plan.bytes_new or 0} bytes"
    lines = [f"- Files: {plan.files_total} ({plan.bytes_total} bytes); new: {new}"]
    if plan.domains:
        lines.append("- Domains: " + ", ".join(_code(name) for name in plan.domains))
    return lines


def _failure_block(facts: ReportFacts) -> list[str]:
    lines = [f"> **Error:** {escape(facts.error)}"]
    if facts.hint:
        lines += [">", f"> **What to do:** {escape(facts.hint)}"]
    if facts.run_url:
        lines += [">", f"> Details: {link('the workflow run log', facts.run_url)}"]
    return lines


def render(facts: ReportFacts, *, audience: Audience) -> str:
    """The Markdown for the PR comment or the job summary, redacted."""
    parts: list[list[str]] = [[_title(facts)]]
    if facts.error:
        parts.append(_failure_block(facts))
    parts.append(_facts_table(facts))
    health = facts.health
    if health is not None and health.rows:
        table = _health_table(health)
        if audience == "comment":
            table = ["<details><summary>Health checks</summary>", "", *table, "", "</details>"]
        parts.append(table)
    if facts.perf is not None and facts.perf.rows:
        table = perf_table(facts.perf)
        if audience == "comment":
            table = ["<details><summary>Performance</summary>", "", *table, "", "</details>"]
        parts.append(table)
    if audience == "summary":
        if facts.domains:
            parts.append(["#### Domains", "", *_domains_table(facts.domains)])
        if facts.env_names:
            parts.append(["#### Environment variables set", "", ", ".join(_code(n) for n in facts.env_names)])
        if facts.plan is not None:
            parts.append(["#### Plan", "", *_plan_lines(facts.plan)])
    if facts.notes:
        parts.append([f"- {escape(note)}" for note in facts.notes])
    return redact("\n\n".join("\n".join(part) for part in parts) + "\n")


def render_comment(facts: ReportFacts) -> str:
    return render(facts, audience="comment")


def render_summary(facts: ReportFacts) -> str:
    return render(facts, audience="summary")
