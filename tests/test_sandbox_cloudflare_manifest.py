"""Pages hashing and branch labels, pinned to wrangler's own test vectors and the spec's rules."""

from __future__ import annotations

import pytest

from ci_deploy.sandbox.cloudflare_manifest import alias_label, extname, pages_hash


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
