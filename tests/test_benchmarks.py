"""The benchmark script's pure parts (cases, round counting, the lower bound and the report) and
the stopwatch every tool runs under.

Nothing here checks how fast anything is; the benchmarks themselves run with
``python -m benchmarks.run``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import cases, measure, report, tools


def test_full_cases_match_the_issue_and_keep_the_big_file_exactly_at_cloudflares_limit() -> None:
    by_name = {case.name: case for case in cases.build_cases()}
    assert (by_name["fresh"].files, by_name["fresh"].total_bytes) == (1000, 20 * cases.MIB)
    assert by_name["unchanged"].redeploy_of == "fresh"
    assert by_name["small"].files == 10_000
    assert max(by_name["big"].sizes) == cases.CLOUDFLARE_MAX_FILE == 25 * 1024 * 1024
    artifact = by_name["artifact"]
    assert artifact.total_bytes == cases.GIB and not artifact.official
    assert artifact.platforms == ("cloudflare-pages",)
    assert max(artifact.sizes) <= cases.CLOUDFLARE_MAX_FILE


def test_quick_cases_are_smaller_but_keep_the_25_mib_file() -> None:
    quick = {case.name: case for case in cases.build_cases(quick=True)}
    assert quick["fresh"].files == 100 and quick["small"].files == 1000
    assert max(quick["big"].sizes) == cases.CLOUDFLARE_MAX_FILE
    assert quick["artifact"].total_bytes < cases.GIB


def test_spread_sizes_vary_and_add_up_exactly() -> None:
    sizes = cases.spread(1000, 20 * cases.MIB)
    assert sum(sizes) == 20 * cases.MIB and len(set(sizes)) > 50 and min(sizes) > 0


def test_generated_files_are_distinct_per_file_and_per_seed(tmp_path: Path) -> None:
    case = cases.Case("t", "t", (5000, 5000, 3))
    assert cases.generate(case, tmp_path / "a", "one") == 10_003
    assert cases.generate(case, tmp_path / "b", "two") == 10_003
    names = list(cases.file_names(3))
    first = [(tmp_path / "a" / name).read_bytes() for name in names]
    second = [(tmp_path / "b" / name).read_bytes() for name in names]
    assert [len(data) for data in first] == [5000, 5000, 3]
    assert len(set(first)) == 3 and not set(first) & set(second)


def span(start: float, end: float) -> measure.Span:
    return measure.Span(start, end)


def test_overlapping_requests_count_as_one_round() -> None:
    requests = [span(0, 1), span(1.5, 3), span(1.6, 2.5), span(1.7, 2.9), span(3.1, 4)]
    assert measure.sequential_rounds(requests) == 3
    assert measure.sequential_rounds([]) == 0


def test_rounds_come_from_log_entries_whose_time_is_when_they_ended() -> None:
    entries = [SimpleNamespace(time=1.0, duration_ms=1000.0), SimpleNamespace(time=2.5, duration_ms=1000.0)]
    assert measure.sequential_rounds(measure.spans(entries)) == 2


def test_protocol_rounds_follow_buckets_and_concurrency() -> None:
    fresh = cases.spread(1000, 20 * cases.MIB)
    assert measure.protocol_rounds("cloudflare-pages", fresh, uploads=True) == 5
    assert measure.protocol_rounds("cloudflare-pages", fresh, uploads=False) == 4
    assert measure.protocol_rounds("vercel", fresh, uploads=True) == 1 + 20 + 1 + 1
    assert measure.protocol_rounds("vercel", fresh, uploads=False) == 2
    many = (1024,) * 10_000  # 5 buckets of 2,000 files: 2 waves of 3
    assert measure.protocol_rounds("cloudflare-pages", many, uploads=True) == 6


def test_lower_bound_adds_latency_bytes_and_the_unhidden_build_delay() -> None:
    assert measure.lower_bound(5, 100, 1000, 1000) == pytest.approx(0.5 + 1.0)
    assert measure.lower_bound(5, 0, 0, 1000, build_delay_ms=100) == pytest.approx(0.1)
    assert measure.lower_bound(5, 100, 0, 1000, build_delay_ms=100) == pytest.approx(0.5)
    assert measure.protocol_wire_bytes("cloudflare-pages", (3, 4), uploads=True) == 4 + 8
    assert measure.protocol_wire_bytes("vercel", (3, 4), uploads=False) == 0


def record(tool: str, case: str, wall: float, uploaded: int = 0, ok: bool = True) -> dict[str, object]:
    return {
        "platform": "cloudflare-pages", "latency_ms": 100, "case": case, "tool": tool, "run": 0,
        "ok": ok, "wall_s": wall, "rss_kb": 50_000, "requests": 9, "rounds": 7,
        "bytes_uploaded": uploaded, "wire_bytes": uploaded, "startup_s": 0.5, "network_s": 1.0,
        "tail_s": 0.1,
    }  # fmt: skip


def context() -> report.Context:
    return report.Context(
        cases={"fresh": "1,000 files", "unchanged": "again"},
        official={"cloudflare-pages": "wrangler"},
        throughput=100 * report.MIB,
        build_delay_ms={"cloudflare-pages": 100.0},
        protocol={("cloudflare-pages", "fresh"): (5, 0), ("cloudflare-pages", "unchanged"): (4, 0)},
    )


def test_summaries_take_medians_of_successful_runs_only() -> None:
    records = [record("ci-deploy", "fresh", wall) for wall in (1.0, 3.0, 2.0)]
    records.append(record("ci-deploy", "fresh", 99.0, ok=False))
    summary = report.summarize(records)[("cloudflare-pages", 100, "fresh", "ci-deploy")]
    assert (summary.runs, summary.ok, summary.wall_s) == (4, 3, 2.0)


def test_verdicts_say_met_or_missed_with_the_margin() -> None:
    assert report.verdict(0.21, 0.3) == "met (0.21× ≤ 0.30×; 0.09× to spare)"
    assert report.verdict(0.45, 0.3).startswith("**missed** (0.45× > 0.30×; over by 0.15×, 1.5×")


def test_report_has_a_table_per_platform_and_latency_and_marks_each_target() -> None:
    records = [
        record("ci-deploy", "fresh", 0.6, uploaded=1000),
        record("wrangler", "fresh", 3.0, uploaded=1000),
        record("ci-deploy", "unchanged", 0.9),
        record("wrangler", "unchanged", 3.0),
    ]
    text = report.render(report.summarize(records), context(), [100], 0.25, {"CPU": "x"}, ["- note"])
    assert "## cloudflare-pages, 100 ms per request" in text
    assert "| 1,000 files | ci-deploy | 1/1 | 0.60 | 0.20× |" in text
    assert "≤ 0.3× wrangler (cloudflare-pages, 100 ms): met (0.20×" in text
    assert "within 1.5× of the lower bound (cloudflare-pages, 100 ms): met (1.20×" in text
    assert "0 bytes uploaded (cloudflare-pages, 100 ms): met" in text
    assert "Unchanged redeploy: ≤ 0.2× wrangler (cloudflare-pages, 100 ms): **missed** (0.30×" in text
    assert "`ci-deploy --help` ≤ 0.3 s (median of 10): met (0.25 s" in text
    assert "- note" in text


def test_the_stopwatch_reports_the_tools_exit_code_output_time_and_peak_memory(tmp_path: Path) -> None:
    script = (
        "import sys; blob = bytearray(30_000_000); print('out'); print('err', file=sys.stderr); sys.exit(3)"
    )
    timed = tools.run_timed(tools.Invocation("t", [sys.executable, "-c", script], {}, tmp_path), 60)

    assert (timed.returncode, timed.stdout, timed.stderr) == (3, "out\n", "err\n")
    assert 30_000 < timed.rss_kb < 200_000  # the tool's own 30 MB, in kB
    assert timed.started <= timed.ended and 0 < timed.wall_s <= timed.ended - timed.started + 0.01


def test_the_stopwatch_runs_the_tool_in_its_working_directory_and_environment(tmp_path: Path) -> None:
    script = "import os; print(os.getcwd(), os.environ['ONLY_HERE'])"
    inv = tools.Invocation("t", [sys.executable, "-c", script], {"ONLY_HERE": "yes"}, tmp_path)

    assert tools.run_timed(inv, 60).stdout == f"{tmp_path} yes\n"


def test_a_tool_that_runs_past_the_timeout_is_ended_with_every_process_it_started(tmp_path: Path) -> None:
    child = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(child)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    timed = tools.run_timed(tools.Invocation("t", [sys.executable, "-c", script], {}, tmp_path), 1)

    assert timed.returncode == -1 and "timed out" in timed.stderr
    pid = int(child.read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(50):  # the kill is sent; the child may take a moment to be reaped by init
            os.kill(pid, 0)
            time.sleep(0.1)
