"""Static vs prebuilt layout, the prebuilt refusals, limits naming the file, sha1 per file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ci_deploy.artifact import Artifact, ArtifactFile
from ci_deploy.errors import ArtifactError, LimitError
from ci_deploy.platforms.vercel import files as vercel_files
from ci_deploy.platforms.vercel.files import (
    check_limits,
    check_prebuilt,
    detect_layout,
    distinct,
    file_list,
    hash_layout,
    upload_plan,
)

CONFIG_V3 = json.dumps({"version": 3}).encode()


def make_artifact(root: Path, files: dict[str, bytes]) -> Artifact:
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    entries = [ArtifactFile(p, root / p, len(files[p])) for p in sorted(files)]
    return Artifact(root=root, files=entries, label="dist/")


def test_a_folder_deploy_leaves_out_what_vercel_deploy_leaves_out(tmp_path: Path) -> None:
    """The repository root deployed as a static site: its .git, node_modules and local env files
    are never published (vercel 58.10.0's default ignore rules, case ignored)."""
    files = {
        "index.html": b"hi",
        ".env": b"kept, as the CLI keeps it",
        ".env.local": b"SECRET=1",
        ".env.production.local": b"SECRET=2",
        ".git/config": b"[core]",
        "docs/.GIT/HEAD": b"ref",
        "node_modules/x/index.js": b"mod",
        ".yarn/cache/pkg.zip": b"zip",
        "lib/.yarn/cache/kept.js": b"not at the root",
        "assets/.app.js.swp": b"swap",
        ".DS_Store": b"finder",
        "assets/app.js": b"app",
    }
    layout = detect_layout(make_artifact(tmp_path, files))

    assert [path for path, _ in layout.files] == [
        ".env",
        "assets/app.js",
        "index.html",
        "lib/.yarn/cache/kept.js",
    ]


def test_a_folder_of_nothing_but_left_out_files_is_refused_naming_them(tmp_path: Path) -> None:
    with pytest.raises(
        ArtifactError, match=r"holds only files vercel deploy leaves out \(\.git, node_modules\)"
    ):
        detect_layout(make_artifact(tmp_path, {".git/config": b"[core]", "node_modules/x.js": b"x"}))


def test_a_plain_folder_is_static_with_paths_unchanged(tmp_path: Path) -> None:
    layout = detect_layout(make_artifact(tmp_path, {"index.html": b"hi", "a/b.css": b"x"}))
    assert not layout.prebuilt
    assert [p for p, _ in layout.files] == ["a/b.css", "index.html"]


def test_an_artifact_containing_vercel_output_deploys_only_that_folder_as_prebuilt(tmp_path: Path) -> None:
    artifact = make_artifact(
        tmp_path,
        {
            "package.json": b"{}",
            ".vercel/output/config.json": CONFIG_V3,
            ".vercel/output/static/index.html": b"hi",
        },
    )
    layout = detect_layout(artifact)
    assert layout.prebuilt
    assert [p for p, _ in layout.files] == [".vercel/output/config.json", ".vercel/output/static/index.html"]


def test_an_artifact_that_is_the_output_folder_gets_the_vercel_output_prefix(tmp_path: Path) -> None:
    layout = detect_layout(make_artifact(tmp_path, {"config.json": CONFIG_V3, "static/index.html": b"hi"}))
    assert layout.prebuilt
    assert [p for p, _ in layout.files] == [".vercel/output/config.json", ".vercel/output/static/index.html"]


def test_a_static_site_with_an_unrelated_config_json_stays_static(tmp_path: Path) -> None:
    layout = detect_layout(make_artifact(tmp_path, {"config.json": b'{"version": 3}', "index.html": b"x"}))
    assert not layout.prebuilt


def test_an_output_folder_of_another_api_version_is_refused(tmp_path: Path) -> None:
    artifact = make_artifact(tmp_path, {".vercel/output/config.json": b'{"version": 2}'})
    with pytest.raises(ArtifactError, match="version 2"):
        detect_layout(artifact)


def prebuilt_with_builds(tmp_path: Path, builds: dict[str, object]) -> vercel_files.Layout:
    artifact = make_artifact(
        tmp_path,
        {
            ".vercel/output/config.json": CONFIG_V3,
            ".vercel/output/builds.json": json.dumps(builds).encode(),
            ".vercel/output/static/index.html": b"hi",
        },
    )
    return detect_layout(artifact)


def test_a_builds_json_that_recorded_an_error_is_refused(tmp_path: Path) -> None:
    layout = prebuilt_with_builds(tmp_path, {"target": "preview", "builds": [{"error": {"message": "boom"}}]})
    with pytest.raises(ArtifactError, match=r"failed build.*boom"):
        check_prebuilt(layout, "preview")


def test_a_preview_build_sent_to_production_is_refused_with_exit_2(tmp_path: Path) -> None:
    layout = prebuilt_with_builds(tmp_path, {"target": "preview", "builds": []})
    check_prebuilt(layout, "preview")
    with pytest.raises(ArtifactError, match="built for preview") as caught:
        check_prebuilt(layout, "production")
    assert caught.value.exit_code == 2


def test_a_production_build_may_go_to_production(tmp_path: Path) -> None:
    check_prebuilt(prebuilt_with_builds(tmp_path, {"target": "production", "builds": []}), "production")


def test_an_empty_artifact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no files"):
        check_limits(detect_layout(make_artifact(tmp_path, {})), "dist/")


def test_too_many_files_names_the_first_file_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vercel_files, "MAX_FILES", 2)
    layout = detect_layout(make_artifact(tmp_path, {"a.txt": b"1", "b.txt": b"2", "c.txt": b"3"}))
    with pytest.raises(LimitError, match=r"3 files.*at most 2.*c\.txt"):
        check_limits(layout, "dist/")


def test_too_many_bytes_names_the_file_that_crosses_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vercel_files, "MAX_TOTAL_BYTES", 10)
    layout = detect_layout(make_artifact(tmp_path, {"a.txt": b"12345", "b.bin": b"123456789", "c.txt": b"1"}))
    with pytest.raises(LimitError, match=r"at b\.bin.*largest file: b\.bin") as caught:
        check_limits(layout, "dist/")
    assert caught.value.exit_code == 2


def test_files_within_the_limits_pass(tmp_path: Path) -> None:
    check_limits(detect_layout(make_artifact(tmp_path, {"index.html": b"x"})), "dist/")


CHUNK = vercel_files.CHUNK


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5])
def test_a_file_read_in_one_call_or_streamed_has_the_sha1_of_its_bytes(tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    source = tmp_path / "blob.bin"
    source.write_bytes(data)
    assert vercel_files.sha1_of(ArtifactFile("blob.bin", source, size)) == hashlib.sha1(data).hexdigest()


def test_hashing_is_sha1_per_file_and_duplicates_collapse(tmp_path: Path) -> None:
    layout = detect_layout(make_artifact(tmp_path, {"a.txt": b"same", "b.txt": b"same", "c.txt": b"other"}))
    entries = hash_layout(layout)
    assert [e.sha for e in entries] == [hashlib.sha1(d).hexdigest() for d in (b"same", b"same", b"other")]
    assert len(distinct(entries)) == 2
    plan = upload_plan(entries)
    assert (plan.files_total, plan.bytes_total, plan.files_distinct, plan.files_new) == (3, 13, 2, None)


def test_the_file_list_carries_path_sha_size_and_regular_file_mode(tmp_path: Path) -> None:
    entries = hash_layout(detect_layout(make_artifact(tmp_path, {"i.html": b"hi"})))
    assert file_list(entries) == [
        {"file": "i.html", "sha": hashlib.sha1(b"hi").hexdigest(), "size": 2, "mode": 33188}
    ]
