"""When the cycle collector runs: less often while a run makes many objects that live on.

Python sweeps for reference cycles every 700 new objects. A run's own objects mostly live as
long as it does (modules, classes and functions from its imports; the upload lanes'
connections and buffers), so the sweeps find nothing to free and only cost time on the way to
the first request (measured here on a Vercel deploy of 1,000 files: ~50 ms of collections
before these, ~15 ms after).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def start_up_uncollected() -> Iterator[None]:
    """No collection while the heavy modules import, and what they made frozen out of every
    later one (``gc.freeze``) until :func:`thaw`: one full collection over them (~15–25 ms) fell
    just as a deploy's uploads began."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def thaw() -> None:
    """The run is over: what :func:`start_up_uncollected` froze is collected as before (a caller
    that runs many, a test session, would otherwise keep all of it)."""
    gc.unfreeze()


@contextlib.contextmanager
def fewer_collections(threshold: int) -> Iterator[None]:
    """A sweep every ``threshold`` new objects (if more than Python's), restored after; garbage
    in cycles waits for at most that many."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], threshold), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
