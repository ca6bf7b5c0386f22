"""What the sandbox saw, and the case's lower bound.

Lower bound = sequential round trips × latency + wire bytes / loopback throughput
+ whatever part of the platform's build delay a status poll's own latency does not hide.

The bound's round trips and bytes are the protocol's minimum for the case (see
:func:`protocol_rounds`), so the bound is the same for every tool. What each tool actually did
is measured from the request log by :func:`sequential_rounds`: the longest chain of requests in
which each one started after the previous one had finished — requests in flight together count
once, so it is the number of latency periods the run could not overlap. The sandbox applies
latency on the server before answering, so the log's durations include it.
"""

from __future__ import annotations

import bisect
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

THROUGHPUT_PROBE = """
import http.client, sys, time
port, size = int(sys.argv[1]), int(sys.argv[2])
body = bytes(size)
best = 0.0
for _ in range(3):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    start = time.perf_counter()
    conn.request("POST", "/_sandbox/throughput-probe", body=body,
                 headers={"Content-Type": "application/octet-stream"})
    conn.getresponse().read()
    best = max(best, size / (time.perf_counter() - start))
    conn.close()
print(best)
"""


@dataclass(frozen=True)
class Span:
    start: float
    end: float


def spans(entries: Iterable[Any]) -> list[Span]:
    """Request spans from sandbox log entries (``time`` is when the answer was ready)."""
    return [Span(entry.time - entry.duration_ms / 1000, entry.time) for entry in entries]


def sequential_rounds(requests: Sequence[Span]) -> int:
    """Length of the longest chain of non-overlapping requests, in O(n log n)."""
    by_start = sorted(requests, key=lambda span: span.start)
    by_end = sorted(range(len(by_start)), key=lambda i: by_start[i].end)
    ends = [by_start[i].end for i in by_end]
    chain = [0] * len(by_start)
    best_done = 0  # the longest chain among requests already finished
    added = 0
    for index, span in enumerate(by_start):
        finished = bisect.bisect_right(ends, span.start)
        while added < finished:
            best_done = max(best_done, chain[by_end[added]])
            added += 1
        chain[index] = best_done + 1
    return max(chain, default=0)


#: what the official CLIs send per upload request and how many at once (the real APIs' limits
#: are not published; these are the most the official clients rely on)
CLOUDFLARE_BUCKET_BYTES = 40 * 1024 * 1024
CLOUDFLARE_BUCKET_FILES = 2000
CLOUDFLARE_CONCURRENCY = 3
VERCEL_CONCURRENCY = 50


def upload_waves(platform: str, sizes: Sequence[int]) -> int:
    """Upload rounds no client can do with fewer: Cloudflare bundles files into buckets of at
    most 40 MiB / 2,000 files, 3 at a time; Vercel takes one file per request, 50 at a time."""
    if not sizes:
        return 0
    if platform == "vercel":
        return math.ceil(len(sizes) / VERCEL_CONCURRENCY)
    buckets = max(
        math.ceil(sum(sizes) / CLOUDFLARE_BUCKET_BYTES), math.ceil(len(sizes) / CLOUDFLARE_BUCKET_FILES)
    )
    return math.ceil(buckets / CLOUDFLARE_CONCURRENCY)


def protocol_rounds(platform: str, sizes: Sequence[int], uploads: bool) -> int:
    """Sequential round trips of the shortest correct deploy into an existing project.

    Cloudflare: upload token, check-missing, the upload waves, create, one status poll
    (upsert-hashes and the project read can overlap these). Vercel: create (answered
    ``missing_files``), the upload waves, create again, one status poll. Without uploads
    (unchanged files) the upload waves drop out, and on Vercel the first create succeeds.
    """
    waves = upload_waves(platform, sizes) if uploads else 0
    if platform == "vercel":
        return 1 + waves + (1 if waves else 0) + 1
    return 2 + waves + 2


def protocol_wire_bytes(platform: str, sizes: Sequence[int], uploads: bool) -> int:
    """File bytes as they must travel: base64 in Cloudflare's JSON (4/3), raw to Vercel."""
    if not uploads:
        return 0
    if platform == "vercel":
        return sum(sizes)
    return sum(4 * math.ceil(size / 3) for size in sizes)


def lower_bound(
    rounds: float, latency_ms: float, wire_bytes: float, throughput: float, build_delay_ms: float = 0
) -> float:
    """Seconds no client can beat with this many sequential requests and bytes on the wire."""
    latency = latency_ms / 1000
    hidden_delay = max(0.0, build_delay_ms / 1000 - latency)
    return rounds * latency + wire_bytes / throughput + hidden_delay


def loopback_throughput(port: int, size: int = 64 * 1024 * 1024) -> float:
    """Bytes per second of one POST into the sandbox (best of 3), from another process, as the
    tools send theirs. The control path answers 404 after reading the whole body, unlogged."""
    done = subprocess.run(
        [sys.executable, "-c", THROUGHPUT_PROBE, str(port), str(size)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return float(done.stdout.strip())


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f"{total_kb / 1024 / 1024:.1f} GiB"
    return {
        "CPU": cpu,
        "CPUs (nproc)": str(os.cpu_count()),
        "memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
