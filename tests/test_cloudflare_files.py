"""Cloudflare's file rules: the content hash, Node's extname, ignore list, limits, form files."""

from __future__ import annotations

import base64
from pathlib import Path

import blake3
import pytest

from ci_deploy.artifact import Artifact, ArtifactFile
from ci_deploy.errors import ArtifactError, LimitError
from ci_deploy.platforms.cloudflare_pages import files as files


def make_artifact(root: Path, contents: dict[str, bytes]) -> Artifact:
    entries = []
    for path, data in sorted(contents.items()):
        source = root / path
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        entries.append(ArtifactFile(path, source, len(data)))
    return Artifact(root=root, files=entries, label="dist/")


def test_hash_matches_wranglers_own_test_vectors(tmp_path: Path) -> None:
    png, txt = tmp_path / "logo.png", tmp_path / "logo.txt"
    png.write_bytes(b"foobar")
    txt.write_bytes(b"foobar")
    assert files.file_hash(ArtifactFile("logo.png", png, 6)) == "2082190357cfd3617ccfe04f340c6247"
    assert files.file_hash(ArtifactFile("logo.txt", txt, 6)) == "1a98fb08af91aca4a7df1764a2c4ddb0"


def test_streamed_hash_equals_hash_of_whole_base64_for_a_multi_chunk_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * (files.CHUNK // 256 * 2 + 7)  # over two chunks, not a multiple of 3
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    expected = blake3.blake3(base64.b64encode(data) + b"bin").hexdigest()[:32]
    assert files.file_hash(ArtifactFile("big.bin", source, len(data))) == expected


@pytest.mark.parametrize("size", [0, 1, files.CHUNK - 1, files.CHUNK, files.CHUNK + 1])
def test_a_file_read_in_one_call_or_streamed_hashes_alike(tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    source = tmp_path / "file.js"
    source.write_bytes(data)
    expected = blake3.blake3(base64.b64encode(data) + b"js").hexdigest()[:32]
    assert files.file_hash(ArtifactFile("file.js", source, size)) == expected


def test_a_file_grown_since_it_was_listed_is_hashed_as_it_is_now(tmp_path: Path) -> None:
    source = tmp_path / "app.js"
    source.write_bytes(b"x" * 10)
    listed = ArtifactFile("app.js", source, 10)
    source.write_bytes(b"x" * 11)
    assert files.file_hash(listed) == files.hash_chunks([b"x" * 11], "js")


def test_same_content_with_another_extension_gets_another_hash() -> None:
    assert files.hash_chunks([b"x"], "css") != files.hash_chunks([b"x"], "js")
    assert files.hash_chunks([b"x"], "TXT") != files.hash_chunks([b"x"], "txt")


@pytest.mark.parametrize(
    ("path", "extension"),
    [
        ("README", ""),
        (".htaccess", ""),
        ("a.", ""),
        ("..", ""),
        ("...", ""),
        ("..a", "a"),
        ("a..", ""),
        (".a.b", "b"),
        ("a.tar.gz", "gz"),
        ("UPPER.TXT", "TXT"),
        ("x/.b.c", "c"),
        ("dir.d/file", ""),
    ],
)
def test_extname_follows_node_path_extname(path: str, extension: str) -> None:
    # Expected values checked against node's path.extname (without the dot).
    assert files.extname(path) == extension


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("index.html", "text/html"),
        ("app.js", "application/javascript"),
        ("style.css", "text/css"),
        ("font.woff2", "font/woff2"),
        ("data.json", "application/json"),
        ("image.SVG", "image/svg+xml"),
        ("LICENSE", "application/octet-stream"),
        ("thing.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_follows_the_mime_package(path: str, expected: str) -> None:
    assert files.content_type(path) == expected


def test_split_site_drops_what_cloudflare_ignores_and_keeps_dot_folders(tmp_path: Path) -> None:
    artifact = make_artifact(
        tmp_path,
        {
            "index.html": b"<h1>hi</h1>",
            ".well-known/security.txt": b"x",
            "a/.DS_Store": b"x",
            "a/node_modules/x.js": b"x",
            ".git/HEAD": b"x",
            ".wrangler/state": b"x",
            "_headers": b"/*\n  X-A: b\n",
            "_redirects": b"/a /b\n",
            "_routes.json": b"{}",
            "sub/_headers": b"kept: not top level",
            "functions": b"a top-level file named functions is ignored",
        },
    )
    site = files.split_site(artifact)
    assert [f.path for f in site.assets] == [".well-known/security.txt", "index.html", "sub/_headers"]
    assert sorted(site.form_files) == ["_headers", "_redirects", "_routes.json"]


def test_functions_folder_is_refused_with_the_wrangler_build_command(tmp_path: Path) -> None:
    artifact = make_artifact(tmp_path, {"index.html": b"x", "functions/api.js": b"export {}"})
    with pytest.raises(ArtifactError, match="wrangler pages functions build") as caught:
        files.split_site(artifact)
    assert caught.value.input_name == "artifact"


def test_worker_folder_is_refused_because_it_needs_bundling(tmp_path: Path) -> None:
    artifact = make_artifact(tmp_path, {"index.html": b"x", "_worker.js/index.js": b"export {}"})
    with pytest.raises(ArtifactError, match=r"_worker\.js/ folder"):
        files.split_site(artifact)


def test_a_file_over_25_mib_is_named_before_any_upload() -> None:
    site = files.SiteFiles(
        assets=[
            ArtifactFile("ok.bin", Path("/nonexistent/ok"), files.MAX_FILE_BYTES),
            ArtifactFile("video/huge.mp4", Path("/nonexistent/huge"), files.MAX_FILE_BYTES + 1),
        ]
    )
    with pytest.raises(LimitError, match=r"'video/huge\.mp4'.*25 MiB"):
        files.check_site_limits(site, "dist/")


def test_too_many_files_names_the_first_file_over_the_limit() -> None:
    assets = [ArtifactFile(f"f{i}.txt", Path("/nonexistent"), 1) for i in range(4)]
    files.check_site_limits(files.SiteFiles(assets=assets[:3]), "dist/", max_files=3)
    with pytest.raises(LimitError, match=r"4 files.*at most 3.*'f3\.txt'"):
        files.check_site_limits(files.SiteFiles(assets=assets), "dist/", max_files=3)


def test_default_count_limit_is_20000() -> None:
    assets = [ArtifactFile(f"f{i}", Path("/nonexistent"), 0) for i in range(20_001)]
    with pytest.raises(LimitError, match="at most 20000"):
        files.check_site_limits(files.SiteFiles(assets=assets), "dist/")


def test_manifest_maps_slash_paths_unencoded_to_hashes(tmp_path: Path) -> None:
    artifact = make_artifact(tmp_path, {"file with space.txt": b"a", "d/x.css": b"b"})
    assets = files.hash_assets(files.split_site(artifact).assets)
    manifest = files.manifest(assets)
    assert sorted(manifest) == ["/d/x.css", "/file with space.txt"]
    assert manifest["/file with space.txt"] == files.hash_chunks([b"a"], "txt")
