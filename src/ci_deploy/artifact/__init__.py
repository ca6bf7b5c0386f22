"""Artifact intake: a directory, an archive, or a workflow-run artifact -> files to deploy.

The walk yields regular files only, in path order, with relative POSIX paths and sizes read
once from ``stat`` (bytes are never loaded here; each platform hashes its own way, streaming).
Links inside a directory are followed only while they stay inside the root; one pointing
outside, a broken one, a loop, a device file or a FIFO is an :class:`ArtifactError` naming it.
Archives are extracted safely (:mod:`ci_deploy.artifact.archives`) into a temporary folder that is
removed when the ``with`` block ends.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ci_deploy.artifact.archives import ARCHIVE_SUFFIXES, ExtractLimits, extract, is_archive
from ci_deploy.errors import ArtifactChanged, ArtifactError, CiDeployError, InputError

__all__ = [
    "Artifact",
    "ArtifactFile",
    "ExtractLimits",
    "open_artifact",
    "open_run_artifact",
    "walk_directory",
]

#: GitHub helper: download the run artifact ``name`` into the given folder, return the zip's path
FetchArtifact = Callable[[str, Path], Path]


@dataclass(frozen=True)
class ArtifactFile:
    """One regular file of the artifact: its relative POSIX ``path`` (no leading slash), where
    its bytes are on disk (``source``; archives are extracted first) and its ``size``."""

    path: str
    source: Path
    size: int


@dataclass
class Artifact:
    """The files to deploy, walked once, in path order."""

    root: Path
    files: list[ArtifactFile]
    #: how the user named it, for messages ("dist/", "site.zip", "artifact 'web'")
    label: str

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def find(self, path: str) -> ArtifactFile | None:
        """The file at relative ``path``, or None."""
        return next((f for f in self.files if f.path == path), None)


def read_whole(file: ArtifactFile) -> bytes | None:
    """The bytes of ``file`` in one read, or None when it has grown past its listed size since.
    For small files: hashing them, this is a third faster than ``Path.open`` and a generator."""
    try:
        handle = os.open(file.source, os.O_RDONLY)
        try:
            data = os.read(handle, file.size + 1)
        finally:
            os.close(handle)
    except OSError as error:
        raise unreadable(file.source, error) from error
    return data if len(data) <= file.size else None


def read_chunks(source: Path, size: int) -> Iterator[bytes]:
    """The bytes of ``source`` in pieces of ``size``, opened only when read, so no file is held
    in memory whole."""
    try:
        with source.open("rb") as handle:
            while chunk := handle.read(size):
                yield chunk
    except OSError as error:
        raise unreadable(source, error) from error


def read_bytes(source: Path) -> bytes:
    """The whole of a small file (a body sent in one block, a config file of the site)."""
    try:
        return source.read_bytes()
    except OSError as error:
        raise unreadable(source, error) from error


def unreadable(source: Path, error: OSError) -> ArtifactChanged:
    """A file listed at the start that can no longer be read: something is still writing the
    artifact (a build, a clean-up), and a deployment of it would not be the one listed."""
    why = error.strerror or str(error)
    return ArtifactChanged(
        f"'{source}' could not be read while it was being deployed ({why}); deploy a finished build"
    )


def _is_utf8(name: str) -> bool:
    """False for a name whose bytes were not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


class TooManyFiles(Exception):
    """A walk given ``at_most`` found more files than that (see :func:`walk_directory`)."""


class _Walk:
    """One directory walk; ``chain`` holds the real folders being visited (link loops)."""

    def __init__(self, root: Path, label: str, at_most: int | None = None) -> None:
        self.label = label
        self.real_root = os.path.realpath(root)
        self.files: list[ArtifactFile] = []
        self.at_most = at_most

    def refuse(self, relative: str, why: str) -> ArtifactError:
        return ArtifactError(f"{self.label}: '{relative}' {why}", input_name="artifact")

    def visit(self, folder: str, prefix: str, chain: tuple[str, ...]) -> None:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        for entry in entries:
            relative = prefix + entry.name
            if not _is_utf8(entry.name):
                shown = os.fsencode(relative).decode("utf-8", "backslashreplace")
                raise self.refuse(shown, "has a name that is not UTF-8, which no URL can carry; rename it")
            real = entry.path
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                if not _inside(real, self.real_root):
                    target = os.readlink(entry.path)
                    raise self.refuse(relative, f"is a link pointing outside the artifact ('{target}')")
                if not os.path.exists(real):
                    raise self.refuse(relative, f"is a broken link ('{os.readlink(entry.path)}')")
            # ``real`` is no link (resolved above), so this one call also gives a file's size.
            status = os.stat(real, follow_symlinks=False)
            if stat.S_ISDIR(status.st_mode):
                if real in chain:
                    raise self.refuse(relative, "is a link loop")
                self.visit(real, relative + "/", (*chain, real))
            elif stat.S_ISREG(status.st_mode):
                self.files.append(ArtifactFile(relative, Path(real), status.st_size))
                if self.at_most is not None and len(self.files) > self.at_most:
                    raise TooManyFiles(self.label)
            else:
                raise self.refuse(relative, "is a device file, FIFO or socket, not a regular file")


def walk_directory(root: Path, label: str, *, at_most: int | None = None) -> Artifact:
    """Every regular file under ``root``, sorted by relative path. With ``at_most``, a folder of
    more files stops the walk there (:class:`TooManyFiles`): a look ahead that only pays off
    for small folders does not list a large one whole."""
    walk = _Walk(root, label, at_most)
    walk.visit(walk.real_root, "", (walk.real_root,))
    if not walk.files:
        raise ArtifactError(f"{label} has no files to deploy; did the build write its output there?")
    walk.files.sort(key=lambda f: f.path)
    return Artifact(root=Path(walk.real_root), files=walk.files, label=label)


def _resolve(path: str | Path, working_directory: str | Path) -> Path:
    base = Path(working_directory)
    if not base.is_dir():
        raise InputError(f"no such directory: {base}", input_name="working-directory")
    candidate = Path(path)
    return candidate if candidate.is_absolute() else base / candidate


@contextmanager
def _extracted(archive: Path, label: str, limits: ExtractLimits, temp_dir: str | None) -> Iterator[Artifact]:
    with _temporary_folder("ci-deploy-artifact-", "unpack", label, temp_dir) as folder:
        root = Path(folder) / "root"
        try:
            root.mkdir()
            extract(archive, root, label, limits)
        except OSError as error:  # the archive's own faults are ArtifactErrors: this is the disk
            raise _no_room("unpack", label, folder, error) from error
        yield walk_directory(root, label)


def _temporary_folder(
    prefix: str, verb: str, label: str, temp_dir: str | None
) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder to ``verb`` ``label`` into; one that cannot be made is :func:`_no_room`."""
    try:
        return tempfile.TemporaryDirectory(prefix=prefix, dir=temp_dir)
    except OSError as error:
        raise _no_room(verb, label, temp_dir or tempfile.gettempdir(), error) from error


def _no_room(verb: str, label: str, folder: str, error: OSError) -> CiDeployError:
    """A disk that is full or not writable where archives are downloaded or unpacked: the
    machine's fault, not the artifact's (exit 1), said before anything is sent."""
    why = error.strerror or str(error)
    return CiDeployError(f"could not {verb} {label} into {folder}: {why}; set TMPDIR to a folder with room")


@contextmanager
def open_artifact(
    path: str | Path,
    *,
    working_directory: str | Path = ".",
    label: str | None = None,
    artifact_name: str | None = None,
    fetch: FetchArtifact | None = None,
    limits: ExtractLimits | None = None,
    temp_dir: str | None = None,
) -> Iterator[Artifact]:
    """The artifact at ``path`` (relative to ``working_directory``): a folder or an archive; or,
    when ``artifact_name`` is given, that workflow-run artifact through ``fetch``.

    Archives are extracted into a temporary folder, removed when the block ends."""
    if artifact_name:
        if fetch is None:
            raise InputError("cannot be downloaded here (no GitHub access)", input_name="artifact-name")
        with open_run_artifact(artifact_name, fetch, limits=limits, temp_dir=temp_dir) as artifact:
            yield artifact
        return
    location = _resolve(path, working_directory)
    name = label or str(path)
    if location.is_dir():
        yield walk_directory(location, label or name.rstrip("/") + "/")
        return
    if not location.exists():
        raise ArtifactError(
            f"no directory or archive at '{path}' (looked for {location.absolute()}); build the site "
            "first, or point artifact at the build's output folder",
            input_name="artifact",
        )
    if not is_archive(location):
        kinds = ", ".join(ARCHIVE_SUFFIXES)
        raise ArtifactError(f"'{path}' is a file but not a {kinds} archive", input_name="artifact")
    with _extracted(location, name, limits or ExtractLimits(), temp_dir) as artifact:
        yield artifact


@contextmanager
def open_run_artifact(
    name: str,
    fetch: FetchArtifact,
    *,
    limits: ExtractLimits | None = None,
    temp_dir: str | None = None,
) -> Iterator[Artifact]:
    """The workflow-run artifact ``name``: ``fetch`` saves its zip in a temporary folder, which
    is then extracted like any zip and removed when the block ends."""
    label = f"artifact '{name}'"
    with _temporary_folder("ci-deploy-download-", "download", label, temp_dir) as folder:
        try:
            archive = fetch(name, Path(folder))
        except OSError as error:
            raise _no_room("download", label, folder, error) from error
        with _extracted(archive, label, limits or ExtractLimits(), temp_dir) as artifact:
            yield artifact
