"""Time one command from a process that does nothing else: ``python -S stopwatch.py REPORT CMD...``.

The sandbox runs on threads of the benchmark's own process. A clock read there after the tool
exits waits for the interpreter lock whenever the sandbox holds it; with many deployments piled
up in one sandbox, its state snapshot alone held it 60-85 ms, just when a fast tool exits. So the
clock runs here, in a process of its own with no other thread: from just before the spawn to the
moment ``wait4`` returns.

Peak RSS is ``wait4``'s ``ru_maxrss`` for the tool (kB), the figure GNU time reports as
"Maximum resident set size": the tool's own process, or the largest of the children it waited
for. The tool inherits this process's working directory, environment and standard streams.
REPORT gets one JSON object: ``wall_s``, ``rss_kb``, ``returncode``, ``started``, ``ended``
(epoch seconds, to line up with the sandbox's request log). Standard library only, so that
``-S`` keeps this process's own start-up out of the way.
"""

import json
import os
import sys
import time


def main(report: str, argv: list[str]) -> int:
    started = time.time()
    clock = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - clock
    ended = time.time()
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="utf-8") as out:
        json.dump(
            {
                "wall_s": wall,
                "rss_kb": usage.ru_maxrss,
                "returncode": code,
                "started": started,
                "ended": ended,
            },
            out,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
