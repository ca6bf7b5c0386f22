"""A folder's SHA-1s worked out ahead, in a process of its own, while the run imports.

Vercel's create call carries every file's SHA-1, and with the project read answered early
(:mod:`ci_deploy.head_start`) it waits for nothing but the main thread: imports, input checks,
listing and hashing the folder. Measured here on 1,000 files / 20 MiB at 100 ms a round trip,
the create left ~35 ms after the imports were done, for the hashing. A thread beside the imports
cannot take that off the way (it waits for the interpreter lock at every file); the machine's
other CPU can. So the head start runs this module as a child (``python -I -m
ci_deploy.hash_ahead FOLDER``, which imports nothing of ci-deploy's but this and the package's
version line), and the adapter takes its SHA-1s for the files it lists itself, matched by place
on disk and size (:meth:`FolderHashes.sha1_of`). A file the child did not hash (past its
limits, or one whose size changed since) is hashed in process as before; a child that failed or
was too slow to be of use hashed nothing.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

#: the largest folder hashed ahead: past this the ~35 ms saved is small beside the work, and
#: the run would wait for the child rather than hash in process
MAX_FILES = 10_000
MAX_BYTES = 256 * 1024 * 1024
#: seconds the run waits for the child's answer before it hashes the folder itself
WAIT = 30.0


def main(argv: list[str]) -> int:
    """The child: ``<sha1> <size> <path>`` NUL-terminated on stdout for every regular file
    under the folder (links are not followed), in one write at the end so that a slow reader
    never holds the hashing up; nothing, and exit 3, for a folder past the limits (listed first,
    so a large one costs no hashing)."""
    listed: list[tuple[str, int]] = []
    folders = [os.path.realpath(argv[0])]  # as the run's own walk names the files
    while folders:
        with os.scandir(folders.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    listed.append((entry.path, entry.stat(follow_symlinks=False).st_size))
                    if len(listed) > MAX_FILES:
                        return 3
    if sum(size for _, size in listed) > MAX_BYTES:
        return 3
    found = [b"%s %d %s\0" % (_sha1(path), size, os.fsencode(path)) for path, size in listed]
    sys.stdout.buffer.write(b"".join(found))
    return 0


def _sha1(path: str) -> bytes:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, lambda: hashlib.sha1(usedforsecurity=False)).hexdigest().encode()


#: the current run's child (None: none started, or the run has ended)
_current: FolderHashes | None = None


def start(folder: Path) -> None:
    """Hash ``folder`` in a child process from now on (the head start's preparation)."""
    global _current
    stop()
    _current = FolderHashes(folder)
    _current.start()


def sha1_of(source: Path, size: int) -> str | None:
    """The SHA-1 the child worked out for the file at ``source`` (waited for), if it hashed that
    file at that size for this run; else None, and the caller hashes it."""
    current = _current
    return None if current is None else current.sha1_of(source, size)


def stop() -> None:
    """The run ended: its child is not left running, and nothing it hashed is used again."""
    global _current
    current, _current = _current, None
    if current is not None:
        current.stop()


class FolderHashes:
    """The child hashing one folder, started by :meth:`start`; its answer is read once, when
    the run first asks for a file's SHA-1."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._hashes: dict[str, tuple[int, str]] | None = None

    def start(self) -> None:
        import subprocess

        if not sys.executable:  # an embedded interpreter: no child, the run hashes in process
            self._hashes = {}
            return
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-I", "-m", "ci_deploy.hash_ahead", str(self._folder)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # no child: the run hashes in process
            self._hashes = {}

    def sha1_of(self, source: Path, size: int) -> str | None:
        """The child's SHA-1 of the file at ``source``, if it hashed that file at that size."""
        hashes = self._collected()
        known = hashes.get(str(source))
        return known[1] if known is not None and known[0] == size else None

    def _collected(self) -> dict[str, tuple[int, str]]:
        with self._lock:
            if self._hashes is None:
                self._hashes = self._answer()
            return self._hashes

    def _answer(self) -> dict[str, tuple[int, str]]:
        """What the child found; nothing when it failed, was stopped, or took too long."""
        import subprocess

        child = self._child
        if child is None:
            return {}
        try:
            out, _ = child.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            return {}
        finally:
            self._child = None
        return _parsed(out) if child.returncode == 0 else {}

    def stop(self) -> None:
        """The run ended: the child is not left running (one being read ends the read)."""
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()


def _parsed(out: bytes) -> dict[str, tuple[int, str]]:
    hashes: dict[str, tuple[int, str]] = {}
    for record in out.split(b"\0")[:-1]:
        sha, size, path = record.split(b" ", 2)
        hashes[os.fsdecode(path)] = (int(size), sha.decode())
    return hashes


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
