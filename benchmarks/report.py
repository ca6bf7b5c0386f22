"""Medians, ratios and the issue's targets, rendered as the Markdown of benchmarks/RESULTS.md.

Pure functions over the per-run records that ``run.py`` collects, so they can be tested
without running anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.measure import lower_bound

FRESH_RATIO = 0.3
UNCHANGED_RATIO = 0.2
BOUND_RATIO = 1.5
BOUND_LATENCY_MS = 100
RSS_LIMIT_MB = 80.0
HELP_LIMIT_S = 0.3
MB = 1_000_000
MIB = 1024 * 1024

Key = tuple[str, int, str, str]  # platform, latency ms, case, tool


@dataclass(frozen=True)
class Summary:
    """The medians of one tool on one case (successful runs only)."""

    runs: int
    ok: int
    wall_s: float
    rss_mb: float
    max_rss_mb: float
    requests: float
    rounds: float
    bytes_uploaded: float
    max_bytes_uploaded: int
    wire_bytes: float
    startup_s: float
    network_s: float
    tail_s: float


def median(values: Iterable[float]) -> float:
    found = list(values)
    return statistics.median(found) if found else float("nan")


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[Key, Summary]:
    groups: dict[Key, list[Mapping[str, Any]]] = {}
    for record in records:
        key = (record["platform"], record["latency_ms"], record["case"], record["tool"])
        groups.setdefault(key, []).append(record)
    summaries = {}
    for key, runs in groups.items():
        good = [run for run in runs if run["ok"]]

        def med(field: str, good: list[Mapping[str, Any]] = good) -> float:
            return median(float(run[field]) for run in good)

        summaries[key] = Summary(
            runs=len(runs),
            ok=len(good),
            wall_s=med("wall_s"),
            rss_mb=med("rss_kb") * 1024 / MB,
            max_rss_mb=max((run["rss_kb"] * 1024 / MB for run in good), default=float("nan")),
            requests=med("requests"),
            rounds=med("rounds"),
            bytes_uploaded=med("bytes_uploaded"),
            max_bytes_uploaded=max((int(run["bytes_uploaded"]) for run in good), default=0),
            wire_bytes=med("wire_bytes"),
            startup_s=med("startup_s"),
            network_s=med("network_s"),
            tail_s=med("tail_s"),
        )
    return summaries


def verdict(value: float, limit: float, unit: str = "×", fmt: str = "{:.2f}") -> str:
    """``met (0.21× ≤ 0.30×; 0.09× to spare)`` or ``**missed** (0.42× > 0.30×; over by 0.12×)``."""
    shown, bound, margin = fmt.format(value), fmt.format(limit), fmt.format(abs(limit - value))
    if value != value:  # NaN: no successful run to judge
        return "**not measured**"
    if value <= limit:
        return f"met ({shown}{unit} ≤ {bound}{unit}; {margin}{unit} to spare)"
    return (
        f"**missed** ({shown}{unit} > {bound}{unit}; over by {margin}{unit}, {value / limit:.1f}× the target)"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def size(value: float) -> str:
    if value != value:
        return "–"
    return "0" if value == 0 else f"{value / MIB:.1f} MiB"


def num(value: float, fmt: str = "{:.2f}") -> str:
    return "–" if value != value else fmt.format(value)


@dataclass(frozen=True)
class Context:
    """What every section needs besides the summaries."""

    cases: Mapping[str, str]  # name -> title, in order
    official: Mapping[str, str]  # platform -> official tool
    throughput: float
    build_delay_ms: Mapping[str, float]
    protocol: Mapping[tuple[str, str], tuple[int, int]]  # (platform, case) -> (rounds, wire bytes)


def case_bound(ctx: Context, platform: str, case: str, latency_ms: int) -> float:
    """The case's lower bound from the protocol's minimum rounds and bytes."""
    rounds, wire = ctx.protocol[(platform, case)]
    return lower_bound(rounds, latency_ms, wire, ctx.throughput, ctx.build_delay_ms[platform])


def platform_table(summaries: Mapping[Key, Summary], ctx: Context, platform: str, latency_ms: int) -> str:
    rows = []
    for case, title in ctx.cases.items():
        ours = summaries.get((platform, latency_ms, case, "ci-deploy"))
        if ours is None:
            continue
        theirs = summaries.get((platform, latency_ms, case, ctx.official[platform]))
        bound = case_bound(ctx, platform, case, latency_ms)
        rounds = ctx.protocol[(platform, case)][0]
        for tool, summary in (("ci-deploy", ours), (ctx.official[platform], theirs)):
            if summary is None:
                continue
            ratio = num(ours.wall_s / theirs.wall_s, "{:.2f}×") if theirs and tool == "ci-deploy" else ""
            rows.append(
                (
                    title if tool == "ci-deploy" else "",
                    tool,
                    f"{summary.ok}/{summary.runs}",
                    num(summary.wall_s),
                    ratio,
                    num(summary.requests, "{:.0f}"),
                    num(summary.rounds, "{:.0f}"),
                    size(summary.bytes_uploaded),
                    num(summary.rss_mb, "{:.0f}"),
                    f"{bound:.2f} ({rounds} rounds)" if tool == "ci-deploy" else "",
                    num(summary.wall_s / bound, "{:.1f}×") if bound > 0 else "–",
                )
            )
    headers = ("case", "tool", "ok runs", "wall s", "× official", "requests", "seq. rounds")
    headers += ("uploaded", "peak RSS MB", "lower bound s", "× bound")
    return table(headers, rows)


def time_split_table(summaries: Mapping[Key, Summary], ctx: Context, platform: str, latency_ms: int) -> str:
    rows = []
    for case, title in ctx.cases.items():
        for tool in ("ci-deploy", ctx.official[platform]):
            summary = summaries.get((platform, latency_ms, case, tool))
            if summary is None:
                continue
            rows.append(
                (
                    title,
                    tool,
                    num(summary.startup_s),
                    num(summary.network_s),
                    num(summary.tail_s),
                    num(summary.wall_s),
                )
            )
    headers = (
        "case",
        "tool",
        "before 1st request s",
        "1st → last request s",
        "after last request s",
        "wall s",
    )
    return table(headers, rows)


@dataclass(frozen=True)
class Target:
    name: str
    verdict: str
    why: str = ""

    @property
    def missed(self) -> bool:
        return "missed" in self.verdict or "not measured" in self.verdict


def _split(summary: Summary) -> str:
    return (
        f"ci-deploy spent {summary.startup_s:.2f} s before its first request (interpreter start-up, "
        f"imports, reading and hashing the files), {summary.network_s:.2f} s from its first to its last "
        f"request ({summary.rounds:.0f} sequential rounds, {summary.requests:.0f} requests) and "
        f"{summary.tail_s:.2f} s after the last one"
    )


def targets(
    summaries: Mapping[Key, Summary], ctx: Context, help_s: float, latencies: Sequence[int]
) -> list[Target]:
    found: list[Target] = []
    pairs = [(p, lat) for p in ctx.official for lat in latencies]

    def ratio_targets(case: str, limit: float, label: str) -> None:
        for platform, latency in pairs:
            ours = summaries.get((platform, latency, case, "ci-deploy"))
            theirs = summaries.get((platform, latency, case, ctx.official[platform]))
            if ours is None or theirs is None:
                continue
            ratio = ours.wall_s / theirs.wall_s
            name = f"{label}: ≤ {limit}× {ctx.official[platform]} ({platform}, {latency} ms)"
            found.append(Target(name, verdict(ratio, limit), _split(ours) if ratio > limit else ""))

    ratio_targets("fresh", FRESH_RATIO, f"Fresh ({ctx.cases.get('fresh', 'fresh')})")
    for platform in ctx.official:
        ours = summaries.get((platform, BOUND_LATENCY_MS, "fresh", "ci-deploy"))
        if ours is None:
            continue
        bound = case_bound(ctx, platform, "fresh", BOUND_LATENCY_MS)
        name = f"Fresh: within {BOUND_RATIO}× of the lower bound ({platform}, {BOUND_LATENCY_MS} ms)"
        ratio = ours.wall_s / bound
        rounds = ctx.protocol[(platform, "fresh")][0]
        why = f"lower bound {bound:.2f} s ({rounds} rounds); " + _split(ours) if ratio > BOUND_RATIO else ""
        found.append(Target(name, verdict(ratio, BOUND_RATIO), why))
    for platform, latency in pairs:
        ours = summaries.get((platform, latency, "unchanged", "ci-deploy"))
        if ours is not None:
            name = f"Unchanged redeploy: 0 bytes uploaded ({platform}, {latency} ms)"
            uploaded = ours.max_bytes_uploaded
            result = "met (0 bytes in every run)" if uploaded == 0 else f"**missed** ({uploaded:,} bytes)"
            found.append(Target(name, result))
    ratio_targets("unchanged", UNCHANGED_RATIO, "Unchanged redeploy")
    worst = max(
        ((s.max_rss_mb, key) for key, s in summaries.items() if key[3] == "ci-deploy" and s.ok),
        default=None,
    )
    if worst is not None:
        rss, (platform, latency, case, _) = worst
        name = "Peak RSS ≤ 80 MB for any case (1 GiB artifact included)"
        where = f"worst: {ctx.cases.get(case, case)}, {platform}, {latency} ms"
        found.append(Target(name, verdict(rss, RSS_LIMIT_MB, " MB", "{:.1f}") + f"; {where}"))
    found.append(Target("`ci-deploy --help` ≤ 0.3 s (median of 10)", verdict(help_s, HELP_LIMIT_S, " s")))
    return found


def render(
    summaries: Mapping[Key, Summary],
    ctx: Context,
    latencies: Sequence[int],
    help_s: float,
    machine: Mapping[str, str],
    notes: Sequence[str],
    analysis: str = "",
) -> str:
    found = targets(summaries, ctx, help_s, latencies)
    out = ["# Benchmarks: ci-deploy vs wrangler and the vercel CLI", ""]
    out += ["Written by `python -m benchmarks.run` (see benchmarks/README.md). Do not edit by hand.", ""]
    out += ["## Machine", "", table(("", ""), machine.items()), ""]
    out += [
        "Loopback throughput into the sandbox (one 64 MiB POST, best of 3): "
        f"**{ctx.throughput / MIB:.0f} MiB/s**.",
        "",
    ]
    out += ["## Targets (issues 8 and 16)", "", _targets_list(found), ""]
    for platform in ctx.official:
        for latency in latencies:
            if not any(k[0] == platform and k[1] == latency for k in summaries):
                continue
            out += [f"## {platform}, {latency} ms per request", ""]
            out += [platform_table(summaries, ctx, platform, latency), ""]
            out += ["Where the wall time goes (medians):", ""]
            out += [time_split_table(summaries, ctx, platform, latency), ""]
    out += ["## How to read this", "", *notes, ""]
    if analysis:
        out += [analysis.rstrip(), ""]
    return "\n".join(out)


def _targets_list(found: list[Target]) -> str:
    lines = []
    for target in found:
        lines.append(f"- {target.name}: {target.verdict}")
        if target.why:
            lines.append(f"  - why: {target.why}")
    return "\n".join(lines)
