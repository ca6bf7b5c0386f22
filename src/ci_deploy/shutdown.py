"""How a one-shot run ends: as soon as its output is out, without the interpreter's teardown."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def exit_without_teardown(code: int) -> NoReturn:
    """Exit once everything written is out, skipping the interpreter's teardown.

    Freeing every module and object at exit costs a one-shot run about 0.1 s that nobody waits
    for. What teardown would still do is done here first: exit handlers (logging's flush, the
    clean-up of any temporary folder left), then stdout and stderr are flushed. Our output files
    (``GITHUB_OUTPUT``, the job summary) are closed after every write. The ordinary exit is kept
    while a thread other than this one still runs (it waits for it), and under a profiler or a
    coverage tracer, which write their results during teardown."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing to save
            stream.flush()
    os._exit(code)
