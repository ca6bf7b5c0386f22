"""The sandbox's state folder: content-addressed blobs and one JSON snapshot of every API.

Blobs are files of their own (``blobs/<namespace>/<key[:2]>/<key>``), written once and atomically,
so the snapshot (``state.json``) stays small and can be rewritten often. Saves are coalesced: an
upload of ten thousand files asks for ten thousand saves but writes the snapshot a few times.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ci_deploy.sandbox.app import BlobStore

log = logging.getLogger("ci_deploy.sandbox.state")

_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
SNAPSHOT_NAME = "state.json"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader (or a restart after a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class FileBlobStore(BlobStore):
    """Bytes by (namespace, key) under ``<root>/blobs``. Keys are content hashes, so a key that is
    already stored is never rewritten. Namespaces may nest with ``/`` (``cloudflare/my-project``)."""

    def __init__(self, root: Path) -> None:
        self.root = root / "blobs"
        self.root.mkdir(parents=True, exist_ok=True)
        # Uploads store thousands of small blobs: remember which folders exist and which keys are
        # stored, so a put is one open/write/rename instead of a dozen file-system calls.
        self._folders: set[Path] = set()
        self._stored: set[tuple[str, str]] = set()
        self._temp_names = itertools.count()

    def path(self, namespace: str, key: str) -> Path:
        """Where a blob lives; refuses names that could leave the store (``..``, absolute paths)."""
        parts = namespace.split("/")
        if not all(_KEY.match(part) for part in parts) or not _KEY.match(key):
            raise ValueError(f"bad blob name {namespace!r}/{key!r}")
        return self.root.joinpath(*parts, key[:2], key)

    def put(self, namespace: str, key: str, data: bytes) -> None:
        if (namespace, key) in self._stored:
            return
        target = self.path(namespace, key)
        folder = target.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        if not os.path.exists(target):
            # A unique temp name in the same folder, then an atomic rename: a reader (or a restart
            # after a crash) never sees half a blob.
            temp = f"{target}.tmp-{os.getpid()}-{threading.get_ident()}-{next(self._temp_names)}"
            try:
                with open(temp, "wb") as handle:
                    handle.write(data)
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        self._stored.add((namespace, key))

    def has(self, namespace: str, key: str) -> bool:
        return self.path(namespace, key).is_file()

    def read(self, namespace: str, key: str) -> bytes:
        try:
            return self.path(namespace, key).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"{namespace}/{key}") from None


class Snapshots:
    """``state.json``: ``{api name: api.snapshot()}``, written at most every ``delay`` seconds.

    ``collect`` gathers the snapshots (the caller holds whatever lock keeps them consistent);
    :meth:`save` only schedules a write, :meth:`flush` writes now (at shutdown).
    """

    def __init__(self, root: Path, collect: Callable[[], dict[str, Any]], delay: float = 0.2) -> None:
        self.path = root / SNAPSHOT_NAME
        self.collect = collect
        self.delay = delay
        self.writes = 0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def load(self) -> dict[str, Any]:
        """The saved snapshots, or ``{}`` on a first start. A corrupt file is an error worth
        seeing (it would silently forget every project), so it raises rather than starting empty."""
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_bytes())
        if not isinstance(data, dict):
            raise ValueError(f"{self.path}: expected a JSON object")
        return data

    def save(self) -> None:
        """Ask for a write soon; many calls in a burst become one write."""
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(self.delay, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        """Write the snapshot now (cancelling a pending write)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        with self._write_lock:  # so an older snapshot can never land after a newer one
            data = json.dumps(self.collect(), separators=(",", ":"), sort_keys=True).encode()
            write_atomically(self.path, data)
            self.writes += 1
        log.debug("saved %s (%d bytes)", self.path, len(data))
