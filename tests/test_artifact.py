"""Artifact intake: folders walked safely, archives extracted safely, hostile members refused by name."""

from __future__ import annotations

import errno
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

import ci_deploy.artifact as artifact_module
from ci_deploy.artifact import (
    ExtractLimits,
    TooManyFiles,
    open_artifact,
    read_bytes,
    read_chunks,
    read_whole,
    walk_directory,
)
from ci_deploy.errors import ArtifactChanged, ArtifactError, CiDeployError, InputError


def make_site(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<h1>hi</h1>", encoding="utf-8")
    (root / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    (root / "a-b.txt").write_text("x", encoding="utf-8")
    return root


def paths(folder: Path, **kwargs: object) -> list[tuple[str, int]]:
    with open_artifact(folder, **kwargs) as artifact:  # type: ignore[arg-type]
        return [(f.path, f.size) for f in artifact.files]


def zip_with(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """Members are (name, data, unix mode); mode 0 leaves the zip's own defaults."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode:
                info.create_system = 3
                info.external_attr = mode << 16
            bundle.writestr(info, data)
    return path


def tar_with(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        for info in members:
            payload = (data or {}).get(info.name)
            if payload is not None:
                info.size = len(payload)
            bundle.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return path


def tar_info(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def test_a_directory_is_walked_in_path_order_with_sizes(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    assert paths(site) == [("a-b.txt", 1), ("assets/app.js", 14), ("index.html", 11)]


def test_a_relative_artifact_resolves_against_the_working_directory(tmp_path: Path) -> None:
    make_site(tmp_path / "apps" / "web" / "dist")
    with open_artifact("dist", working_directory=tmp_path / "apps" / "web") as artifact:
        assert artifact.label == "dist/" and len(artifact.files) == 3
        assert artifact.find("index.html") is not None and artifact.total_bytes == 26


def test_links_inside_the_tree_are_followed(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    (site / "latest.html").symlink_to("index.html")
    (site / "static").symlink_to("assets")
    found = dict(paths(site))
    assert found["latest.html"] == 11 and found["static/app.js"] == 14


def test_a_link_pointing_outside_is_refused_by_name(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    (tmp_path / "secret.txt").write_text("s", encoding="utf-8")
    (site / "assets" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ArtifactError, match=r"'assets/leak.txt' is a link pointing outside"):
        paths(site)


def test_a_link_loop_and_a_broken_link_are_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    (site / "assets" / "loop").symlink_to("..")
    with pytest.raises(ArtifactError, match="'assets/loop' is a link loop"):
        paths(site)
    (site / "assets" / "loop").unlink()
    (site / "gone").symlink_to("nowhere")
    with pytest.raises(ArtifactError, match="'gone' is a broken link"):
        paths(site)


def test_a_fifo_in_the_directory_is_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    os.mkfifo(site / "pipe")
    with pytest.raises(ArtifactError, match="'pipe' is a device file, FIFO or socket"):
        paths(site)


def test_a_file_name_that_is_not_utf8_is_refused_by_name_before_anything_is_sent(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "index.html").write_text("<p>x</p>")
    (site / "docs" / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name")

    with pytest.raises(ArtifactError) as caught, open_artifact(site):
        pass

    assert caught.value.exit_code == 2 and caught.value.input_name == "artifact"
    assert "'docs/caf\\xe9.txt' has a name that is not UTF-8, which no URL can carry; rename it" in str(
        caught.value
    )


def test_a_missing_artifact_says_what_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as caught:
        paths(Path("dist"), working_directory=tmp_path)
    message = str(caught.value)
    assert message.startswith("input 'artifact': no directory or archive at 'dist'")
    assert str(tmp_path / "dist") in message and "build the site first" in message


def test_a_missing_working_directory_names_its_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="input 'working-directory'"):
        paths(Path("dist"), working_directory=tmp_path / "nope")


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    with pytest.raises(ArtifactError, match="has no files"):
        paths(tmp_path / "dist")


def test_a_plain_file_that_is_no_archive_is_refused(tmp_path: Path) -> None:
    (tmp_path / "site.rar").write_bytes(b"x")
    with pytest.raises(ArtifactError, match=r"is a file but not a \.zip"):
        paths(tmp_path / "site.rar")


def test_a_zip_is_extracted_and_removed_afterwards(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "site.zip", [("index.html", b"<h1>", 0), ("css/a.css", b"a{}", 0)])
    with open_artifact(archive) as artifact:
        root = artifact.root
        assert [(f.path, f.size) for f in artifact.files] == [("css/a.css", 3), ("index.html", 4)]
        assert artifact.files[1].source.read_bytes() == b"<h1>"
    assert not root.exists()


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tgz"])
def test_tar_archives_are_extracted(tmp_path: Path, suffix: str) -> None:
    site = make_site(tmp_path / "dist")
    archive = tmp_path / f"site{suffix}"
    with tarfile.open(archive, "w:gz" if suffix != ".tar" else "w") as bundle:
        bundle.add(site, arcname=".")
    assert [p for p, _ in paths(archive)] == ["a-b.txt", "assets/app.js", "index.html"]


def test_a_run_artifact_is_fetched_then_extracted(tmp_path: Path) -> None:
    def fetch(name: str, folder: Path) -> Path:
        assert name == "web-build"
        return zip_with(folder / "web-build.zip", [("index.html", b"ok", 0)])

    with open_artifact("dist", artifact_name="web-build", fetch=fetch) as artifact:
        assert artifact.label == "artifact 'web-build'" and [f.path for f in artifact.files] == ["index.html"]


def test_a_run_artifact_with_no_room_to_download_says_so_naming_the_folder(tmp_path: Path) -> None:
    def fetch(name: str, folder: Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    with (
        pytest.raises(
            CiDeployError,
            match=r"^could not download artifact 'web-build' into .*: No space left on device; ",
        ),
        open_artifact("dist", artifact_name="web-build", fetch=fetch, temp_dir=str(tmp_path)),
    ):
        pass


SYMLINK = stat.S_IFLNK | 0o777
HOSTILE_ZIPS: list[tuple[str, list[tuple[str, bytes, int]], str]] = [
    ("traversal", [("../../etc/cron.d/x", b"x", 0)], "member '../../etc/cron.d/x' escapes the archive"),
    ("absolute", [("/etc/passwd", b"x", 0)], "member '/etc/passwd' has an absolute path"),
    ("windows-absolute", [("C:/Windows/x.dll", b"x", 0)], "has an absolute path"),
    ("backslash-traversal", [("..\\..\\x", b"x", 0)], "escapes the archive"),
    (
        "symlink-escape",
        [("link", b"../../../etc/passwd", SYMLINK)],
        "member 'link' is a link pointing outside",
    ),
    ("symlink-absolute", [("link", b"/etc/passwd", SYMLINK)], "member 'link' is a link to an absolute path"),
    ("write-through-link", [("d", b".", SYMLINK), ("d/x", b"1", 0)], "member 'd/x' would be written through"),
    ("device", [("dev", b"", stat.S_IFCHR | 0o600)], "member 'dev' is a device file"),
    ("fifo", [("pipe", b"", stat.S_IFIFO | 0o600)], "member 'pipe' is a device file"),
    ("duplicate", [("a.txt", b"1", 0), ("a.txt", b"2", 0)], "member 'a.txt' appears twice"),
    ("bomb", [("bomb.bin", b"\0" * (3 * 1024 * 1024), 0)], "member 'bomb.bin' expands"),
]


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(
    ("members", "message"), [c[1:] for c in HOSTILE_ZIPS], ids=[c[0] for c in HOSTILE_ZIPS]
)
def test_hostile_zip_members_are_refused_by_name(
    tmp_path: Path, members: list[tuple[str, bytes, int]], message: str, httpx_mock: HTTPXMock
) -> None:
    archive = zip_with(tmp_path / "evil.zip", members)
    with pytest.raises(ArtifactError) as caught:
        paths(archive)
    assert message in str(caught.value)
    assert str(caught.value).startswith("input 'artifact': archive ")
    assert not (tmp_path.parent / "etc").exists()


def test_a_link_escaping_through_another_link_is_caught_by_the_walk(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "evil.zip", [("l2", b".", SYMLINK), ("l1", b"l2/..", SYMLINK)])
    with pytest.raises(ArtifactError, match="'l1' is a link pointing outside"):
        paths(archive)


def test_too_many_files_are_refused_at_the_member_over_the_limit(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "many.zip", [(f"f{i}.txt", b"x", 0) for i in range(6)])
    with pytest.raises(ArtifactError, match=r"member 'f5\.txt' is over the limit of 5 files"):
        paths(archive, limits=ExtractLimits(max_files=5))


def test_too_many_bytes_are_refused(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "big.zip", [("a.bin", os.urandom(3000), 0), ("b.bin", os.urandom(3000), 0)])
    with pytest.raises(ArtifactError, match=r"member 'b\.bin' takes the archive over 5000 bytes"):
        paths(archive, limits=ExtractLimits(max_total_bytes=5000))


def test_a_corrupt_zip_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    with pytest.raises(ArtifactError, match="is not a valid zip file"):
        paths(tmp_path / "bad.zip")


HOSTILE_TARS: list[tuple[str, list[tarfile.TarInfo], str]] = [
    ("traversal", [tar_info("../evil.txt")], "member '../evil.txt' escapes the archive"),
    ("absolute", [tar_info("/tmp/evil.txt")], "member '/tmp/evil.txt' has an absolute path"),
    ("device", [tar_info("dev/sda", tarfile.BLKTYPE)], "member 'dev/sda' is a device file"),
    ("char-device", [tar_info("null", tarfile.CHRTYPE)], "member 'null' is a device file"),
    ("fifo", [tar_info("pipe", tarfile.FIFOTYPE)], "member 'pipe' is a device file"),
    (
        "symlink-escape",
        [tar_info("up", tarfile.SYMTYPE, "../../etc")],
        "member 'up' is a link pointing outside",
    ),
    (
        "hardlink-outside",
        [tar_info("h", tarfile.LNKTYPE, "/etc/passwd")],
        "member 'h' is a hard link to '/etc/passwd', outside",
    ),
    (
        "hardlink-missing",
        [tar_info("h", tarfile.LNKTYPE, "nope.txt")],
        "member 'h' is a hard link to 'nope.txt'",
    ),
]


@pytest.mark.parametrize(
    ("members", "message"), [c[1:] for c in HOSTILE_TARS], ids=[c[0] for c in HOSTILE_TARS]
)
def test_hostile_tar_members_are_refused_by_name(
    tmp_path: Path, members: list[tarfile.TarInfo], message: str, httpx_mock: HTTPXMock
) -> None:
    archive = tar_with(tmp_path / "evil.tar.gz", members, {m.name: b"x" for m in members if m.isfile()})
    with pytest.raises(ArtifactError) as caught:
        paths(archive)
    assert message in str(caught.value)


def test_a_tar_bomb_is_refused_by_its_overall_ratio(tmp_path: Path) -> None:
    archive = tar_with(
        tmp_path / "bomb.tgz", [tar_info("zeros.bin")], {"zeros.bin": b"\0" * (4 * 1024 * 1024)}
    )
    with pytest.raises(ArtifactError, match=r"member 'zeros\.bin' expands the archive"):
        paths(archive)


def test_a_hard_link_to_an_earlier_member_becomes_a_copy(tmp_path: Path) -> None:
    members = [tar_info("index.html"), tar_info("copy.html", tarfile.LNKTYPE, "index.html")]
    archive = tar_with(tmp_path / "ok.tgz", members, {"index.html": b"hello"})
    assert paths(archive) == [("copy.html", 5), ("index.html", 5)]


def test_an_archive_that_finds_no_room_to_unpack_says_so_naming_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.html", "<p>hello</p>")

    def full_disk(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(artifact_module, "extract", full_disk)
    with pytest.raises(CiDeployError) as caught, open_artifact(archive, temp_dir=str(tmp_path)):
        pass

    message = str(caught.value)
    assert message.startswith(f"could not unpack {archive} into {tmp_path}/ci-deploy-artifact-")
    assert message.endswith(": No space left on device; set TMPDIR to a folder with room")
    assert caught.value.exit_code == 1
    assert not list(tmp_path.glob("ci-deploy-artifact-*"))  # nothing left behind


def test_a_temporary_folder_that_cannot_be_made_says_where(tmp_path: Path) -> None:
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.html", "<p>hello</p>")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")

    with (
        pytest.raises(CiDeployError, match=f"could not unpack {archive} into {not_a_folder}: "),
        open_artifact(archive, temp_dir=str(not_a_folder)),
    ):
        pass


def test_files_are_read_in_chunks(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abcdefg")
    assert list(read_chunks(tmp_path / "f", 3)) == [b"abc", b"def", b"g"]


def test_a_listed_file_that_vanished_is_an_artifact_change_naming_it(tmp_path: Path) -> None:
    site = make_site(tmp_path / "dist")
    with open_artifact(site) as artifact:
        listed = artifact.files[0]
        listed.source.unlink()  # a clean-up racing the deploy

        for read in (
            lambda: read_whole(listed),
            lambda: list(read_chunks(listed.source, 3)),
            lambda: read_bytes(listed.source),
        ):
            with pytest.raises(ArtifactChanged) as caught:
                read()
            assert str(caught.value) == (
                f"'{listed.source}' could not be read while it was being deployed "
                "(No such file or directory); deploy a finished build"
            )
            assert caught.value.exit_code == 1


def test_a_walk_told_at_most_n_files_stops_at_the_one_past_it(tmp_path: Path) -> None:
    for name in ("a.html", "b.css", "c/d.js"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(name)

    assert len(walk_directory(tmp_path, "dist/", at_most=3).files) == 3
    with pytest.raises(TooManyFiles):
        walk_directory(tmp_path, "dist/", at_most=2)
