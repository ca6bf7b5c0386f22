"""Path patterns for a site's `paths:`: fnmatch's rules, path-aware, with `**` and `!`."""

from __future__ import annotations

import re

import pytest

from ci_deploy.config.path_globs import PathFilter


def matches(patterns: list[str], path: str) -> bool:
    return PathFilter.parse(patterns).matches(path)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("docs/**", "docs/index.md", True),
        ("docs/**", "docs/guide/deep/page.md", True),
        ("docs/**", "docs-old/index.md", False),
        ("docs/**", "site/docs/index.md", False),
        ("**/*.md", "README.md", True),
        ("**/*.md", "apps/web/CHANGELOG.md", True),
        ("**/*.md", "apps/web/notes.mdx", False),
        ("apps/**/package.json", "apps/package.json", True),
        ("apps/**/package.json", "apps/web/a/package.json", True),
        ("apps/*.ts", "apps/main.ts", True),
        ("apps/*.ts", "apps/web/main.ts", False),
        ("**.lock", "sub/dir/yarn.lock", True),
        ("README.md", "README.md", True),
        ("README.md", "docs/README.md", False),
        ("src/?.py", "src/a.py", True),
        ("src/?.py", "src/ab.py", False),
        ("a?b", "a/b", False),
        ("apps/[ab]pi/**", "apps/api/x", True),
        ("apps/[!ab]pi/**", "apps/api/x", False),
        ("apps/[!ab]pi/**", "apps/xpi/x", True),
        ("a[!x]b", "a/b", False),
        ("file[.txt", "file[.txt", True),
        ("v1.0/*", "v1x0/a", False),
        ("(group)/+page.svelte", "(group)/+page.svelte", True),
    ],
)
def test_a_pattern_matches_whole_paths_from_the_repository_root(
    pattern: str, path: str, expected: bool
) -> None:
    assert matches([pattern], path) is expected


def test_the_last_matching_pattern_decides_so_bang_patterns_take_paths_back_out() -> None:
    patterns = ["apps/web/**", "!apps/web/**/*.md", "apps/web/docs/keep.md"]
    assert matches(patterns, "apps/web/src/app.ts")
    assert not matches(patterns, "apps/web/README.md")
    assert matches(patterns, "apps/web/docs/keep.md")


@pytest.mark.parametrize(
    ("patterns", "complaint"),
    [
        ([""], "empty pattern"),
        (["!"], "empty pattern"),
        (["/docs/**"], "drop the leading '/'"),
        (["./docs/**"], "drop the leading './'"),
        (["!docs/**"], "only `!` patterns"),
    ],
)
def test_a_pattern_that_cannot_match_a_repository_path_is_refused(
    patterns: list[str], complaint: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        PathFilter.parse(patterns)
