"""The performance table of the report: per checked path, time to first byte and total time
(median and p95), size, compression and caching seen, and the change against the production
deployment this one replaced when both were measured."""

from __future__ import annotations

from dataclasses import dataclass

from ci_deploy.report.text import escape

_MAX_ROWS = 50


@dataclass(frozen=True)
class PerfRow:
    """One path's figures in ms and bytes; ``previous_ttfb_p95_ms`` is None when there was
    nothing to compare with. ``cache`` is ``name: value`` pairs of the caching headers seen."""

    path: str
    samples: int
    ttfb_ms: float
    ttfb_p95_ms: float
    total_ms: float
    total_p95_ms: float
    bytes: int | None
    encoding: str = ""
    cache: tuple[tuple[str, str], ...] = ()
    previous_ttfb_p95_ms: float | None = None


@dataclass(frozen=True)
class PerfFacts:
    """Every measured path; ``compared_with`` names the previous deployment ("" when none was
    measured) and ``note`` says why not, when it could not be."""

    rows: tuple[PerfRow, ...]
    compared_with: str = ""
    budget_ms: float | None = None
    note: str = ""


def perf_table(perf: PerfFacts) -> list[str]:
    """A heading line, then the table."""
    head = "Performance (ms: median / p95)"
    if perf.budget_ms is not None:
        head += f", budget p95 first byte {perf.budget_ms:g} ms"
    if perf.compared_with:
        head += f"; compared with `{escape(perf.compared_with)}`"
    elif perf.note:
        head += f"; {escape(perf.note)}"
    lines = [
        head,
        "",
        "| path | first byte | total | bytes | encoding | cache | Δ first byte p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in perf.rows[:_MAX_ROWS]:
        timings = f"{row.ttfb_ms:.0f} / {row.ttfb_p95_ms:.0f} | {row.total_ms:.0f} / {row.total_p95_ms:.0f}"
        size = str(row.bytes) if row.bytes is not None else "—"
        cache = "<br>".join(f"{escape(name)}: {escape(value)}" for name, value in row.cache) or "—"
        lines.append(
            f"| `{escape(row.path)}` | {timings} | {size} | {escape(row.encoding) or '—'} | {cache} "
            f"| {_delta(row)} |"
        )
    if len(perf.rows) > _MAX_ROWS:
        lines.append(f"| … {len(perf.rows) - _MAX_ROWS} more | | | | | | |")
    return lines


def _delta(row: PerfRow) -> str:
    """``+12 ms (was 40)``; ``—`` without a previous figure."""
    if row.previous_ttfb_p95_ms is None:
        return "—"
    change = row.ttfb_p95_ms - row.previous_ttfb_p95_ms
    return f"{change:+.0f} ms (was {row.previous_ttfb_p95_ms:.0f})"
