"""The sandbox's state folder: content-addressed blobs and one JSON snapshot of every API.

Blobs live in one append-only pack per namespace (``blobs/<namespace>/pack`` + ``index``), written
once, so the snapshot (``state.json``) stays small and can be rewritten often. Saves are coalesced: an
upload of ten thousand files asks for ten thousand saves but writes the snapshot a few times.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ci_deploy_sandbox.app import BlobStore

log = logging.getLogger("ci_deploy_sandbox.state")

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
    already stored is never rewritten. Namespaces may nest with ``/`` (``cloudflare/my-project``).

    Each namespace is one append-only pack file plus an index of ``key offset length`` lines: an
    upload of thousands of small files costs appends, not thousands of file creations (about 1 ms
    each on some file systems, which made the sandbox the bottleneck of every benchmark). The index
    line is written after its bytes, so a crash leaves at most an unindexed tail, ignored on load.
    """

    def __init__(self, root: Path) -> None:
        self.root = root / "blobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._packs: dict[str, _Pack] = {}

    def folder(self, namespace: str) -> Path:
        """A namespace's folder; refuses names that could leave the store (``..``, absolute)."""
        parts = namespace.split("/")
        if not all(_KEY.match(part) for part in parts):
            raise ValueError(f"bad blob namespace {namespace!r}")
        return self.root.joinpath(*parts)

    def _pack(self, namespace: str) -> _Pack:
        with self._lock:
            pack = self._packs.get(namespace)
            if pack is None:
                pack = self._packs[namespace] = _Pack(self.folder(namespace))
            return pack

    def put(self, namespace: str, key: str, data: bytes) -> None:
        if not _KEY.match(key):
            raise ValueError(f"bad blob key {key!r}")
        self._pack(namespace).append(key, data)

    def has(self, namespace: str, key: str) -> bool:
        return self._pack(namespace).has(key)

    def read(self, namespace: str, key: str) -> bytes:
        return self._pack(namespace).read(key)

    def close(self) -> None:
        with self._lock:
            for pack in self._packs.values():
                pack.close()
            self._packs.clear()


class _Pack:
    """One namespace's blobs: ``pack`` (the bytes, appended) and ``index`` (where each key is)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.data_path, self.index_path = folder / "pack", folder / "index"
        self._lock = threading.Lock()
        self.index = self._load()
        self._data = self.data_path.open("ab")
        self._index = self.index_path.open("a", encoding="ascii")

    def _load(self) -> dict[str, tuple[int, int]]:
        if not self.index_path.exists():
            return {}
        size = self.data_path.stat().st_size if self.data_path.exists() else 0
        index: dict[str, tuple[int, int]] = {}
        for line in self.index_path.read_text(encoding="ascii").splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                offset, length = int(fields[1]), int(fields[2])
                if offset + length <= size:
                    index[fields[0]] = (offset, length)
        return index

    def has(self, key: str) -> bool:
        return key in self.index

    def append(self, key: str, data: bytes) -> None:
        with self._lock:
            if key in self.index:
                return
            offset = self._data.seek(0, os.SEEK_END)
            self._data.write(data)
            self._data.flush()
            self._index.write(f"{key} {offset} {len(data)}\n")
            self._index.flush()
            self.index[key] = (offset, len(data))

    def read(self, key: str) -> bytes:
        try:
            offset, length = self.index[key]
        except KeyError:
            raise KeyError(key) from None
        with self.data_path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    def close(self) -> None:
        with self._lock:
            self._data.close()
            self._index.close()


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
