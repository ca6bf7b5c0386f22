"""Pages hashing and branch labels, pinned to wrangler's own test vectors and the spec's rules."""

from __future__ import annotations

import base64

import pytest

from ci_deploy_sandbox.cloudflare_manifest import (
    alias_label,
    check_stored,
    extname,
    matching_extension,
    pages_hash,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("logo.png", "2082190357cfd3617ccfe04f340c6247"), ("logo.txt", "1a98fb08af91aca4a7df1764a2c4ddb0")],
)
def test_pages_hash_matches_wranglers_test_vectors(path: str, expected: str) -> None:
    assert pages_hash(b"foobar", path) == expected


@pytest.mark.parametrize(
    ("path", "ext"),
    [
        ("/README", ""),
        ("/.htaccess", ""),
        ("/a.", ""),
        ("/..", ""),
        ("/dir.d/file", ""),
        ("/a.tar.gz", "gz"),
        ("/UPPER.TXT", "TXT"),
        ("/.a.b", "b"),
    ],
)
def test_extname_follows_node(path: str, ext: str) -> None:
    assert extname(path) == ext


def test_alias_label_cuts_to_28_after_trimming_and_keeps_a_dash_left_by_the_cut() -> None:
    assert alias_label("-" + "a" * 27 + "_b", {}) == "a" * 27 + "-"
    assert len(alias_label("x" * 40, {})) == 28


def test_matching_extension_finds_the_extension_a_content_type_suggests() -> None:
    encoded = base64.b64encode(b"foobar")
    assert matching_extension(pages_hash(b"foobar", "/logo.png"), encoded, "image/png") == "png"
    assert matching_extension(pages_hash(b"foobar", "/README"), encoded, "application/octet-stream") == ""
    assert matching_extension(pages_hash(b"foobar", "/LOGO.PNG"), encoded, "image/png") is None


def test_check_stored_reads_back_only_pairs_not_yet_verified() -> None:
    store = {pages_hash(b"a", "/a.txt"): b"a", pages_hash(b"b", "/b.css"): b"b"}
    manifest = {"/a.txt": pages_hash(b"a", "/a.txt"), "/b.css": pages_hash(b"b", "/b.css")}
    reads: list[str] = []
    verified = {(manifest["/a.txt"], "txt")}
    check_stored(manifest, store.__contains__, lambda key: reads.append(key) or store[key], verified)
    assert reads == [manifest["/b.css"]]
    assert (manifest["/b.css"], "css") in verified
