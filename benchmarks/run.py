"""Run the benchmarks: ci-deploy against wrangler and the vercel CLI on one sandbox.

    python -m benchmarks.run            # the full run, writes benchmarks/RESULTS.md
    python -m benchmarks.run --quick    # small cases, one run, prints the report

The sandbox runs in this process; every tool runs as its own process under
:mod:`benchmarks.stopwatch`, which keeps the clock in a process of its own.
Runs alternate the tool that goes first. Fresh cases get a new project and newly generated
content for every run; "unchanged" redeploys the same files into the same project right after
that tool's fresh run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import cases as case_defs
from benchmarks import measure, report, tools
from ci_deploy_sandbox.cloudflare_deployments import DEFAULT_DELAY_MS
from ci_deploy_sandbox.runtime import Sandbox

HERE = Path(__file__).resolve().parent
log = logging.getLogger("benchmarks")
BUILD_DELAY_MS = {"cloudflare-pages": float(DEFAULT_DELAY_MS), "vercel": 0.0}
LOAD_KEY = "load average (1/5/15 min) before → after"
SHORT = {"ci-deploy": "ci", "wrangler": "wr", "vercel": "vc", "cloudflare-pages": "cf"}
NOTES = [
    "- Medians over the successful runs (`ok runs`); tools alternate which goes first.",
    "- **wall s**: from spawning the tool to its exit, timed by a stopwatch process that does nothing "
    "else (`benchmarks/stopwatch.py`), so the sandbox's threads cannot delay the clock. **peak RSS MB**: "
    'the tool\'s `ru_maxrss` from `wait4`, what GNU time reports as "Maximum resident set size" '
    "(MB = 10^6 bytes); the sandbox runs in the benchmark's own process and is not counted.",
    "- **requests**: requests the sandbox logged during the run. **uploaded**: file bytes the "
    "sandbox stored (the `bytes_uploaded` counter; Cloudflare's base64 JSON on the wire is about "
    "4/3 of it).",
    "- **seq. rounds**: the longest chain of requests in the run's log in which each started "
    "after the previous had finished — requests in flight together count once. It is the number "
    "of latency periods the run could not overlap.",
    "- **lower bound** = the protocol's minimum sequential rounds × latency + the file bytes as "
    "they must travel (base64 for Cloudflare, raw for Vercel) / loopback throughput + the part of "
    f"the platform's build delay (sandbox: Cloudflare {DEFAULT_DELAY_MS} ms, Vercel 0) that the "
    "status poll's own latency does not hide. Minimum rounds, into an existing project: Cloudflare "
    "= upload token, check-missing, ⌈buckets / 3⌉ upload waves (buckets of ≤ 40 MiB and ≤ 2,000 "
    "files), create, one status poll; Vercel = create (answered missing_files), ⌈files / 50⌉ "
    "upload waves, create, one status poll; unchanged files drop the upload waves (and Vercel's "
    "second create). Bucket size and concurrency are the official CLIs' (the APIs publish no "
    "limits). The bound has no client-side work in it: no start-up, no reading or hashing. "
    "**× bound** = wall / bound.",
    "- Every project is created before the timed run (wrangler and the vercel CLI need it to "
    "exist). All tools deploy to production (`--branch main`, `--prod`, `--environment "
    "production`); ci-deploy runs with `--health-check false --env-required none`.",
    "- The sandbox shares the machine's CPUs with the tool under test, and does real work "
    "(parsing the upload JSON, verifying Cloudflare hashes, storing blobs on disk). Every case of "
    "every tool (a fresh deploy and the unchanged redeploy after it) gets an empty sandbox of its "
    "own, and files generated for it and written out to disk before it is timed. ci-deploy is a "
    "runtime-only install of the commit, as the action image has it.",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small cases and one run, to try things out")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs per case and tool (default 3; --quick 1)"
    )
    parser.add_argument(
        "--artifact-runs", type=int, default=1, help="runs of the 1 GiB artifact case (default 1)"
    )
    parser.add_argument(
        "--case-runs", action="append", default=[], metavar="CASE=N", help="runs for one case, e.g. small=2"
    )
    parser.add_argument("--latency", default="0,100", help="per-request latencies in ms (default 0,100)")
    parser.add_argument("--platform", action="append", choices=case_defs.PLATFORMS, help="only this platform")
    parser.add_argument("--case", action="append", help="only these cases (fresh implies unchanged)")
    parser.add_argument(
        "--output", type=Path, help="Markdown report (default benchmarks/RESULTS.md; --quick: stdout)"
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds one tool run may take")
    parser.add_argument(
        "--from-json", type=Path, help="render the report again from a saved RESULTS.json, running nothing"
    )
    parser.add_argument("--help-runs", type=int, default=10, help="runs of `ci-deploy --help` (median)")
    parser.add_argument(
        "--editable",
        action="store_true",
        help="measure the ci-deploy of this environment, not a runtime-only install of the checkout",
    )
    args = parser.parse_args(argv)
    args.latencies = [int(value) for value in args.latency.split(",") if value.strip()]
    args.runs = args.runs or (1 if args.quick else 3)
    if args.output is None and not args.quick:
        args.output = HERE / "RESULTS.md"
    return args


def case_runs(args: argparse.Namespace, case: case_defs.Case) -> int:
    for item in args.case_runs:
        name, _, count = item.partition("=")
        if name == case.name:
            return int(count)
    return case.runs if case.runs is not None else args.runs


def help_startup(runs: int) -> float:
    """Median wall time of ``ci-deploy --help``."""
    argv = [tools.ci_deploy_executable(), "--help"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Bench:
    """The runs made so far, a scratch folder for sites, HOMEs and sandboxes, and the sandbox of
    the case being measured: every case (a tool's fresh deploy and its unchanged redeploy) gets
    an empty sandbox of its own, so no run pays for the state earlier ones left (the sandbox
    keeps every deployment and snapshots its state to disk, which grows with each)."""

    def __init__(self, scratch: Path, timeout_s: float) -> None:
        self.sandbox: Sandbox | None = None
        self.env: dict[str, str] = {}
        self.scratch = scratch
        self.timeout_s = timeout_s
        self.records: list[dict[str, Any]] = []
        #: every record as soon as it is measured, so a crash late in a long run loses nothing
        self.journal = Path(tempfile.gettempdir()) / f"ci-deploy-bench-{os.getpid()}.jsonl"
        self.serial = 0

    @contextlib.contextmanager
    def fresh_sandbox(self, name: str, latency: int) -> Iterator[Sandbox]:
        """An empty sandbox with ``latency`` ms added to every request, for one case."""
        state = self.scratch / f"sandbox-{name}"
        sandbox = Sandbox(state_dir=state).start()
        if latency:
            sandbox.inject(f"latency={latency}")
        self.sandbox, self.env = sandbox, sandbox.env()
        try:
            yield sandbox
        finally:
            sandbox.stop()
            self.sandbox = None
            shutil.rmtree(state, ignore_errors=True)

    def measure(
        self, inv: tools.Invocation, platform: str, latency: int, case: str, run: int
    ) -> dict[str, Any]:
        assert self.sandbox is not None, "measure() runs inside fresh_sandbox()"
        self.sandbox.reset_counters()
        mark = self.sandbox.world.requests.last
        timed = tools.run_timed(inv, self.timeout_s)
        entries = self.sandbox.log(mark)
        counters = self.sandbox.counters()
        spans = measure.spans(entries)
        first = min((s.start for s in spans), default=timed.started)
        last = max((s.end for s in spans), default=timed.ended)
        error = tools.failure(inv, timed)
        record = {
            "platform": platform,
            "latency_ms": latency,
            "case": case,
            "tool": inv.tool,
            "run": run,
            "ok": error is None,
            "error": error,
            "wall_s": round(timed.wall_s, 4),
            "rss_kb": timed.rss_kb,
            "requests": len(entries),
            "rounds": measure.sequential_rounds(spans),
            "bytes_uploaded": counters.get("bytes_uploaded", 0),
            "files_uploaded": counters.get("files_uploaded", 0),
            "wire_bytes": counters.get("bytes_in", 0),
            "startup_s": round(first - timed.started, 4),
            "network_s": round(last - first, 4),
            "tail_s": round(timed.ended - last, 4),
            "endpoints": counters.get("endpoints", {}),
        }
        self.records.append(record)
        with self.journal.open("a") as journal:
            journal.write(json.dumps(record) + "\n")
        status = "ok" if error is None else f"FAILED: {error}"
        log.info(
            "%s %4d ms %-9s %-9s run %d: %6.2f s, %5d requests, %3d rounds, %7.1f MiB up, RSS %4.0f MB  %s",
            platform, latency, case, inv.tool, run, timed.wall_s, len(entries), record["rounds"],
            record["bytes_uploaded"] / case_defs.MIB, timed.rss_kb * 1024 / 1e6, status,
        )  # fmt: skip
        return record

    def deploy_case(
        self, platform: str, latency: int, case: case_defs.Case, tool: str, run: int, redeploy: str | None
    ) -> None:
        """Generate fresh files, create a project, deploy; then the unchanged redeploy if any."""
        self.serial += 1
        name = f"b{self.serial}-{case.name}-{SHORT[tool]}-{SHORT.get(platform, 'vc')}-{latency}"
        work = self.scratch / name
        site, home = work / "site", work / "home"
        home.mkdir(parents=True)
        case_defs.generate(case, site, seed=name)
        # On disk before any tool is timed: left dirty, the kernel wrote them back during the
        # run that followed (measured: ci-deploy's fresh Vercel deploy ~75 ms slower, and noisier)
        os.sync()
        with self.fresh_sandbox(name, latency):
            project = tools.create_project(platform, name, self.env)
            for case_name in (case.name, redeploy):
                if case_name is None:
                    continue
                if tool == "ci-deploy":
                    inv = tools.ci_deploy(platform, site, name, self.env, home)
                elif tool == "wrangler":
                    inv = tools.wrangler(site, name, self.env, home)
                else:
                    inv = tools.vercel(site, project, self.env, home)
                self.measure(inv, platform, latency, case_name, run)
        shutil.rmtree(work, ignore_errors=True)


def run_all(args: argparse.Namespace, bench: Bench, selected: list[case_defs.Case]) -> None:
    redeploys = {case.redeploy_of: case.name for case in selected if case.redeploy_of}
    platforms = args.platform or list(case_defs.PLATFORMS)
    for latency in args.latencies:
        for platform in platforms:
            for case in selected:
                if case.redeploy_of or platform not in case.platforms:
                    continue
                order = ["ci-deploy"] + ([tools.OFFICIAL[platform]] if case.official else [])
                for run in range(case_runs(args, case)):
                    for tool in order if run % 2 == 0 else order[::-1]:
                        bench.deploy_case(platform, latency, case, tool, run, redeploys.get(case.name))


def measure_everything(
    args: argparse.Namespace, selected: list[case_defs.Case], platforms: list[str]
) -> dict[str, Any]:
    """Every run, plus what the report needs to know about the machine; JSON-ready."""
    with tempfile.TemporaryDirectory(prefix="ci-deploy-bench-") as scratch:
        if not args.editable:
            log.info("runtime-only install: %s", tools.install_runtime(Path(scratch) / "venv"))
        installed = tools.version([tools.ci_deploy_executable(), "--version"])
        installed += " (this environment)" if args.editable else " (runtime-only install)"
        load_before = os.getloadavg()
        help_s = help_startup(args.help_runs)
        log.info("ci-deploy --help: %.3f s (median of %d)", help_s, args.help_runs)
        with Sandbox(state_dir=Path(scratch) / "sandbox") as sandbox:
            throughput = measure.loopback_throughput(sandbox.port)
        log.info("loopback throughput: %.0f MiB/s", throughput / case_defs.MIB)
        bench = Bench(Path(scratch) / "runs", args.timeout)
        log.info("journal of runs: %s", bench.journal)
        run_all(args, bench, selected)
    load_after = os.getloadavg()
    machine = measure.machine() | {
        LOAD_KEY: f"{_load(load_before)} → {_load(load_after)}",
        "commit": tools.version(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"]),
        "node": tools.version(["node", "--version"]),
        "ci-deploy": installed,
        "wrangler": tools.version([str(tools.NODE_BIN / "wrangler"), "--version"]),
        "vercel CLI": tools.version([str(tools.NODE_BIN / "vercel"), "--version"]),
        "runs per case and tool": ", ".join(f"{c.name}: {case_runs(args, c)}" for c in selected),
    }
    return {"machine": machine, "help_s": help_s, "throughput": throughput, "records": bench.records}


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.1f}" for value in values)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    all_cases = case_defs.build_cases(quick=args.quick, big_runs=args.artifact_runs)
    wanted = set(args.case or [c.name for c in all_cases])
    wanted |= {"unchanged"} if "fresh" in wanted else set()
    selected = [c for c in all_cases if c.name in wanted]
    platforms = args.platform or list(case_defs.PLATFORMS)
    needed = {"ci-deploy"} | {tools.OFFICIAL[p] for p in platforms}
    problems = tools.missing_prerequisites(needed)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
    else:
        saved = measure_everything(args, selected, platforms)
        if args.output:
            args.output.with_suffix(".json").write_text(json.dumps(saved, indent=1) + "\n")
    ctx = report.Context(
        cases={c.name: c.title for c in selected},
        official={p: tools.OFFICIAL[p] for p in platforms},
        throughput=saved["throughput"],
        build_delay_ms=BUILD_DELAY_MS,
        protocol={
            (p, c.name): (
                measure.protocol_rounds(p, c.sizes, uploads=not c.redeploy_of),
                measure.protocol_wire_bytes(p, c.sizes, uploads=not c.redeploy_of),
            )
            for p in platforms
            for c in selected
        },
    )
    analysis_file = HERE / "ANALYSIS.md"
    analysis = analysis_file.read_text() if analysis_file.exists() and not args.quick else ""
    summaries = report.summarize(saved["records"])
    text = report.render(summaries, ctx, args.latencies, saved["help_s"], saved["machine"], NOTES, analysis)
    if args.output:
        args.output.write_text(text)
        log.info("wrote %s", args.output)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
