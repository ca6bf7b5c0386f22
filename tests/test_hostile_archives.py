"""Hostile archives through the action: bombs (one member or many small ones), declared sizes
over the cap, truncated, corrupt and unsupported archives, and hostile members — each exit 2,
one line naming ``artifact`` (and the member when one is at fault), nothing written."""

from __future__ import annotations

import io
import os
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import assert_input_error, run_case, sandbox_secrets

from ci_deploy_sandbox.runtime import Sandbox

ZEROS = b"\0" * (900 * 1024)  # each member stays under the per-member bomb check (1 MiB)


def many_small_zip(tmp: Path) -> Path:
    path = tmp / "many.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(12):
            archive.writestr(f"part-{index}.bin", ZEROS)
    return path


def many_small_tgz(tmp: Path) -> Path:
    path = tmp / "many.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for index in range(12):
            info = tarfile.TarInfo(f"part-{index}.bin")
            info.size = len(ZEROS)
            archive.addfile(info, io.BytesIO(ZEROS))
    return path


def one_member_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("huge.txt", b"\0" * (32 * 1024 * 1024))
    return path


def small_zip(tmp: Path, name: str = "site.zip") -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", "<p>hello</p>" * 200)
        archive.writestr("app.js", os.urandom(4096))
    return path


def declared_over_cap(tmp: Path) -> Path:
    """A zip whose central directory claims ~4 GiB for a small member (a lie or a real giant)."""
    path = small_zip(tmp)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)
    path.write_bytes(bytes(data))
    return path


def unsupported_method(tmp: Path) -> Path:
    """Members compressed with method 99 (AES), which we cannot read."""
    path = small_zip(tmp)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            struct.pack_into("<H", data, found + offset, 99)
            start = found + 4
    path.write_bytes(bytes(data))
    return path


def truncated(make: Callable[[Path], Path], keep: float) -> Callable[[Path], Path]:
    def cut(tmp: Path) -> Path:
        path = make(tmp)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        return path

    return cut


def site_tar(tmp: Path, mode: str = "w:gz", name: str = "site.tar.gz") -> Path:
    path = tmp / name
    with tarfile.open(path, mode) as archive:
        for index in range(4):
            payload = os.urandom(20_000)
            info = tarfile.TarInfo(f"assets/{index}.bin")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return path


def garbage(name: str) -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(os.urandom(2048))
        return path

    return write


def tar_member(name: str, kind: bytes, link: str = "", data: bytes = b"") -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        path = tmp / "evil.tar"
        with tarfile.open(path, "w") as archive:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(data)
            archive.addfile(info, io.BytesIO(data) if data else None)
        return path

    return write


def zip_member(name: str) -> Callable[[Path], Path]:
    def write(tmp: Path) -> Path:
        path = tmp / "evil.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("index.html", "<p>ok</p>")
            archive.writestr(name, "payload")
        return path

    return write


def duplicate_zip(tmp: Path) -> Path:
    path = tmp / "dup.zip"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("index.html", "one")
        archive.writestr("index.html", "two")
    return path


def latin1_named_tar(tmp: Path) -> Path:
    """A tar written where names are Latin-1: ``café.txt`` arrives as bytes that are not UTF-8."""
    path = tmp / "latin1.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as archive:
        for name, data in [("index.html", b"<p>x</p>"), ("caf\xe9.txt", b"latin-1 name")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def latin1_named_folder(tmp: Path) -> Path:
    folder = tmp / "latin1-site"
    folder.mkdir()
    (folder / "index.html").write_text("<p>x</p>")
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name")
    return folder


CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("zip of many small members that add up to a bomb", many_small_zip, "expands the archive"),
    ("tar.gz of many small members that add up to a bomb", many_small_tgz, "expands the archive"),
    ("zip with one bomb member", one_member_bomb, "huge.txt"),
    ("zip declaring 4 GiB unpacked", declared_over_cap, "bytes unpacked"),
    ("zip compressed with an unsupported method", unsupported_method, "not a valid zip file"),
    ("zip cut in half", truncated(small_zip, 0.5), "not a valid zip file"),
    ("zip missing its last bytes", truncated(small_zip, 0.97), "not a valid zip file"),
    ("tar.gz cut in half", truncated(site_tar, 0.5), "not a valid tar file"),
    ("tar.gz missing its last bytes", truncated(site_tar, 0.98), "not a valid tar file"),
    (
        "tar cut inside a member",
        truncated(lambda t: site_tar(t, "w", "site.tar"), 0.4),
        "not a valid tar file",
    ),
    (
        "tar.bz2 named .tgz cut short",
        truncated(lambda t: site_tar(t, "w:bz2", "site.tgz"), 0.5),
        "not a valid tar",
    ),
    ("zip of random bytes", garbage("site.zip"), "not a valid zip file"),
    ("tar.gz of random bytes", garbage("site.tar.gz"), "not a valid tar file"),
    ("empty zip file", lambda t: (t / "e.zip", (t / "e.zip").write_bytes(b""))[0], "not a valid zip file"),
    ("rar archive", garbage("site.rar"), "archive"),
    ("7z archive", garbage("site.7z"), "archive"),
    ("tar.xz archive", lambda t: site_tar(t, "w:xz", "site.tar.xz"), "archive"),
    ("zip member escaping with ..", zip_member("../../outside.txt"), "../../outside.txt"),
    ("zip member with an absolute path", zip_member("/etc/cron.d/evil"), "/etc/cron.d/evil"),
    ("zip member with a drive letter", zip_member("C:/evil.txt"), "C:/evil.txt"),
    ("zip member named twice", duplicate_zip, "appears twice"),
    ("tar symlink to /etc/passwd", tar_member("passwd", tarfile.SYMTYPE, "/etc/passwd"), "passwd"),
    ("tar symlink climbing out", tar_member("up", tarfile.SYMTYPE, "../../../etc"), "up"),
    ("tar hard link to a file outside", tar_member("hard", tarfile.LNKTYPE, "../../etc/shadow"), "hard"),
    ("tar FIFO", tar_member("pipe", tarfile.FIFOTYPE), "pipe"),
    ("tar block device", tar_member("disk", tarfile.BLKTYPE), "disk"),
    ("tar member named in Latin-1", latin1_named_tar, "caf\\xe9.txt' has a name that is not UTF-8"),
    (
        "folder with a file named in Latin-1",
        latin1_named_folder,
        "caf\\xe9.txt' has a name that is not UTF-8",
    ),
]


@pytest.mark.parametrize(("make", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_hostile_archive_is_one_line_naming_the_artifact_and_changes_nothing(
    make: Callable[[Path], Path], named: str, sandbox: Sandbox, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    archive = make(tmp_path)
    channels = run_case(sandbox, tmp_path, capsys, {"artifact": str(archive)})
    assert_input_error(channels, "input 'artifact'", sandbox_secrets(sandbox))
    assert named in channels.error_lines[0]
