"""Safe extraction of .zip / .tar / .tar.gz / .tgz artifacts into a folder we own.

An archive is untrusted input (it may come from a fork's build). Every member is checked before
a byte is written: no absolute paths, no ``..``, no device files or FIFOs, links only to places
inside the extraction root, and nothing written *through* a link. Sizes are counted while the
bytes stream (declared sizes can lie), so the total, the file count and the compression ratio
(zip bombs) are bounded — the ratio over the whole archive too, so many small members that each stay under the
per-member bomb check still cannot add up to one. A zip's declared sizes are checked against the
same bounds before a byte is written. A truncated, corrupt or unsupported archive (a compression
method we cannot read) is an :class:`ArtifactError` too. Each refusal names the member, or the
archive when no member is at fault.
"""

from __future__ import annotations

import gzip
import lzma
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ci_deploy.errors import ArtifactError

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
_CHUNK = 1024 * 1024
#: what reading a truncated, corrupt or unsupported archive raises besides the modules' own errors
_BROKEN = (EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError, NotImplementedError)


@dataclass(frozen=True)
class ExtractLimits:
    """Bounds on what one archive may expand to; generous for real sites, fatal for bombs."""

    max_total_bytes: int = 2 * 1024**3
    max_files: int = 100_000
    #: uncompressed:compressed above this, on a member bigger than ``ratio_min_bytes``, is a bomb
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1024 * 1024


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


class _Budget:
    """Counts files and bytes across one archive and refuses what goes over the limits."""

    def __init__(self, archive: str, limits: ExtractLimits, packed_bytes: int | None = None) -> None:
        self.archive, self.limits = archive, limits
        #: the archive's size, when the ratio is checked over the whole stream (tar.gz)
        self.packed_bytes = packed_bytes
        self.files = 0
        self.bytes = 0

    def refuse(self, member: str, why: str) -> ArtifactError:
        return ArtifactError(f"archive {self.archive}: member '{member}' {why}", input_name="artifact")

    def count_file(self, member: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise self.refuse(member, f"is over the limit of {self.limits.max_files} files")

    def add_bytes(self, member: str, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_total_bytes:
            raise self.refuse(member, f"takes the archive over {self.limits.max_total_bytes} bytes unpacked")
        if self.packed_bytes and self.bytes > self.limits.ratio_min_bytes:
            ratio = self.bytes / self.packed_bytes
            if ratio > self.limits.max_ratio:
                raise self.refuse(member, f"expands the archive {ratio:.0f}:1 (a bomb?)")


def _safe_relative(budget: _Budget, name: str) -> str:
    """The member's normalised relative path, or a refusal for absolute/traversing names."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":"):
        raise budget.refuse(name, "has an absolute path")
    parts = [part for part in clean.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise budget.refuse(name, "escapes the archive with '..'")
    if any("\0" in part for part in parts):
        raise budget.refuse(name, "has a NUL byte in its name")
    return "/".join(parts)


def _make_dirs(budget: _Budget, root: Path, member: str, parts: list[str]) -> Path:
    """Create ``root/parts…`` one folder at a time, never following a link (a link that looks
    inside lexically may still resolve outside through another link)."""
    folder = root
    for part in parts:
        folder = folder / part
        if folder.is_symlink():
            raise budget.refuse(member, "would be written through a symbolic link")
        if not folder.exists():
            folder.mkdir()
        elif not folder.is_dir():
            raise budget.refuse(member, f"needs folder '{part}', which is a file in the archive")
    return folder


def _destination(budget: _Budget, root: Path, member: str, relative: str) -> Path:
    """Where the file ``relative`` lands, its folders made; refuses duplicates."""
    *folders, name = relative.split("/")
    target = _make_dirs(budget, root, member, folders) / name
    if target.is_symlink() or target.exists():
        raise budget.refuse(member, "appears twice in the archive")
    return target


def _make_link(budget: _Budget, root: Path, member: str, relative: str, link_target: str) -> None:
    """A link is kept only when it points inside the root (the walk re-checks the real path)."""
    if link_target.startswith("/") or not link_target:
        raise budget.refuse(member, f"is a link to an absolute path '{link_target}'")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(relative), link_target))
    if resolved == ".." or resolved.startswith("../"):
        raise budget.refuse(member, f"is a link pointing outside the archive ('{link_target}')")
    destination = _destination(budget, root, member, relative)
    os.symlink(link_target, destination)


def _copy_stream(budget: _Budget, member: str, source: IO[bytes], destination: Path, declared: int) -> int:
    written = 0
    with destination.open("xb") as handle:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            budget.add_bytes(member, len(chunk))
            if written > declared:
                raise budget.refuse(member, "holds more bytes than its header says")
            handle.write(chunk)
    return written


def _zip_mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0


def _broken(label: str, kind: str, exc: BaseException) -> ArtifactError:
    reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return ArtifactError(
        f"archive {label} is not a valid {kind} (truncated, corrupt or compressed in a way we cannot "
        f"read): {reason}",
        input_name="artifact",
    )


def _check_declared(budget: _Budget, infos: list[zipfile.ZipInfo], packed: int) -> None:
    """Refuse a zip whose central directory already declares too much (streaming re-checks it,
    as declared sizes can lie)."""
    files = [info for info in infos if not info.is_dir()]
    limits, running = budget.limits, 0
    for info in files:
        running += info.file_size
        if running > limits.max_total_bytes:
            why = f"takes the archive over {limits.max_total_bytes} bytes unpacked (as declared)"
            raise budget.refuse(info.filename, why)
    if running > limits.ratio_min_bytes and running / packed > limits.max_ratio:
        largest = max(files, key=lambda info: info.file_size).filename
        raise budget.refuse(largest, f"expands the archive {running / packed:.0f}:1 (a bomb?)")


def extract_zip(archive: Path, root: Path, label: str, limits: ExtractLimits) -> None:
    packed = max(archive.stat().st_size, 1)
    budget = _Budget(label, limits, packed_bytes=packed)
    try:
        with zipfile.ZipFile(archive) as bundle:
            infos = bundle.infolist()
            _check_declared(budget, infos, packed)
            for info in infos:
                _extract_zip_member(budget, bundle, info, root)
    except (zipfile.BadZipFile, *_BROKEN) as exc:
        raise _broken(label, "zip file", exc) from None


def _extract_zip_member(budget: _Budget, bundle: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path) -> None:
    member = info.filename
    relative = _safe_relative(budget, member)
    mode = _zip_mode(info)
    if info.is_dir() or not relative:
        _make_dirs(budget, root, member, relative.split("/") if relative else [])
        return
    if info.flag_bits & 0x1:
        raise budget.refuse(member, "is encrypted")
    if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        raise budget.refuse(member, "is a device file, FIFO or socket")
    budget.count_file(member)
    if mode and stat.S_ISLNK(mode):
        _make_link(budget, root, member, relative, bundle.read(info).decode("utf-8", "replace"))
        return
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > budget.limits.ratio_min_bytes and size / packed > budget.limits.max_ratio:
        raise budget.refuse(member, f"expands {size / packed:.0f}:1 (a zip bomb?)")
    destination = _destination(budget, root, member, relative)
    with bundle.open(info) as source:
        _copy_stream(budget, member, source, destination, size)


def extract_tar(archive: Path, root: Path, label: str, limits: ExtractLimits) -> None:
    """Extract member by member; the ratio is checked over the whole stream as bytes arrive
    (a .tar.gz compresses as one stream, so members have no compressed size of their own)."""
    budget = _Budget(label, limits, packed_bytes=max(archive.stat().st_size, 1))
    try:
        with tarfile.open(archive, "r:*") as bundle:
            for info in _members(bundle):
                _extract_tar_member(budget, bundle, info, root)
    except (tarfile.TarError, *_BROKEN) as exc:
        raise _broken(label, "tar file", exc) from None


def _members(bundle: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while (info := bundle.next()) is not None:
        yield info


def _extract_tar_member(budget: _Budget, bundle: tarfile.TarFile, info: tarfile.TarInfo, root: Path) -> None:
    member = info.name
    relative = _safe_relative(budget, member)
    if info.isdir() or not relative:
        _make_dirs(budget, root, member, relative.split("/") if relative else [])
        return
    if info.ischr() or info.isblk() or info.isfifo() or not (info.isfile() or info.issym() or info.islnk()):
        raise budget.refuse(member, "is a device file, FIFO or other special file")
    budget.count_file(member)
    if info.issym():
        _make_link(budget, root, member, relative, info.linkname)
        return
    if info.islnk():
        _copy_hardlink(budget, root, member, relative, info.linkname)
        return
    source = bundle.extractfile(info)
    if source is None:
        raise budget.refuse(member, "cannot be read")
    with source:
        _copy_stream(budget, member, source, _destination(budget, root, member, relative), info.size)


def _copy_hardlink(budget: _Budget, root: Path, member: str, relative: str, link_name: str) -> None:
    """A hard link becomes a copy of an earlier regular member (never of a file outside)."""
    try:
        origin_relative = _safe_relative(budget, link_name)
    except ArtifactError:
        raise budget.refuse(member, f"is a hard link to '{link_name}', outside the archive") from None
    origin = root / origin_relative
    real_root = os.path.realpath(root)
    inside = os.path.realpath(origin).startswith(real_root + os.sep)
    if not origin_relative or not inside or origin.is_symlink() or not origin.is_file():
        raise budget.refuse(member, f"is a hard link to '{link_name}', which is not an earlier file")
    destination = _destination(budget, root, member, relative)
    budget.add_bytes(member, origin.stat().st_size)
    shutil.copyfile(origin, destination)


def extract(archive: Path, root: Path, label: str, limits: ExtractLimits) -> None:
    """Extract ``archive`` (by its suffix) into the empty folder ``root``."""
    if archive.name.lower().endswith(".zip"):
        extract_zip(archive, root, label, limits)
    else:
        extract_tar(archive, root, label, limits)
