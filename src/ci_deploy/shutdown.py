"""How a one-shot run ends: reporting a cancellation like a failure, then as soon as its output
is out, without the interpreter's teardown."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

#: what a cancelled workflow run (the runner, ``docker stop``) or Ctrl-C sends
CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(KeyboardInterrupt):
    """The run was told to stop. Raised where the main thread was, like Ctrl-C's
    KeyboardInterrupt, so no ``except Exception`` (nor a GitHub call's "only a warning") takes it
    for an error and goes on; the deploy and the job summary report it on the way out."""

    def __init__(self, signal_number: int) -> None:
        self.signal_name = signal.Signals(signal_number).name
        self.exit_code = 128 + signal_number
        super().__init__(f"cancelled by {self.signal_name} before the run finished")


@contextlib.contextmanager
def cancellable() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Cancelled` in the main thread. Without it SIGTERM ended
    the process on the spot (nothing reported, the PR comment left at "deploying"), and as a
    container's process 1, which has no default action for it, did nothing until the kill.
    The first signal only: the handlers from before are back while the run reports it, so a
    second one stops the report itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # A signal ignored on entry stays ignored (a shell starts background jobs with SIGINT ignored).
    previous = {n: h for n in CANCEL_SIGNALS if (h := signal.getsignal(n)) != signal.SIG_IGN}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)

    def cancel(number: int, frame: FrameType | None) -> None:
        restore()
        raise Cancelled(number)

    for number in previous:
        signal.signal(number, cancel)
    try:
        yield
    finally:
        restore()


def exit_without_teardown(code: int) -> NoReturn:
    """Exit once everything written is out, skipping the interpreter's teardown.

    Freeing every module and object at exit costs a one-shot run 30-100 ms that nobody waits
    for. What teardown would still do is done here first: exit handlers (logging's flush, the
    clean-up of any temporary folder left), then stdout and stderr are flushed. Our output files
    (``GITHUB_OUTPUT``, the job summary) are closed after every write. The ordinary exit is kept
    while a thread other than this one still runs after :data:`THREAD_GRACE` (it waits for it),
    and under a profiler or a coverage tracer, which write their results during teardown."""
    if _threads_still_running() or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing to save
            stream.flush()
    os._exit(code)


#: seconds the other threads get to end. A pool shut down without waiting (the hashing that
#: runs ahead of the upload) has been told to stop, but its thread may not have woken to see it:
#: a third of the runs measured here found it alive, and paid the whole teardown for it.
THREAD_GRACE = 1.0


def _threads_still_running() -> bool:
    """True when a non-daemon thread other than this one is still running after the grace."""
    deadline = time.monotonic() + THREAD_GRACE
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return True
    return False
