"""Glob patterns over repository paths, for a monorepo site's ``paths:`` list.

``fnmatch`` alone will not do: its ``*`` crosses ``/`` (``apps/*.ts`` would match
``apps/web/src/x.ts``), and ``pathlib.PurePath.full_match``, which knows ``**``, needs Python
3.13. The rules here are fnmatch's, made path-aware, with ``**`` as in .gitignore and GitHub's
``paths:`` filters:

- a pattern is matched against the whole path, relative to the repository root, ``/``-separated
  (``README.md`` is the root README only, not ``docs/README.md``);
- ``*`` is any run of characters within one path segment, ``?`` one character, ``[abc]`` /
  ``[a-z]`` / ``[!abc]`` one character of (or not of) a set; none of them match ``/``;
- ``**`` is any run of characters, ``/`` included; as a whole segment it also matches no
  segment at all: ``apps/web/**`` is everything under apps/web, ``**/*.md`` every Markdown
  file, ``a/**/b`` matches ``a/b`` and ``a/x/y/b``;
- a pattern starting with ``!`` takes paths back out; the last pattern that matches a path
  decides (``["apps/web/**", "!apps/web/**/*.md"]``: the web app, but not its docs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


def translate(pattern: str) -> str:
    """The regular expression (for ``fullmatch``) of one pattern without its ``!``."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            regex, i = _character_class(pattern, i)
            parts.append(regex)
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return "".join(parts)


def _character_class(pattern: str, start: int) -> tuple[str, int]:
    """``[...]`` at ``start`` as a regex that never matches ``/``, and the index after it.

    As in fnmatch: ``!`` first negates, a ``]`` right after the opening (or after ``!``) is a
    member, and a ``[`` with no closing ``]`` is a literal ``[``."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "!":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    end = pattern.find("]", i)
    if end < 0:
        return re.escape("["), start + 1
    body = pattern[start + 1 : end]
    negate = body.startswith("!")
    members = body[1:] if negate else body
    escaped = members.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("^", "\\^")
    return (f"(?!/)[{'^' if negate else ''}{escaped}]", end + 1)


@dataclass(frozen=True)
class PathFilter:
    """An ordered list of patterns; the last one that matches a path decides."""

    rules: tuple[tuple[bool, re.Pattern[str]], ...]  # (takes the path out?, compiled pattern)

    @classmethod
    def parse(cls, patterns: Sequence[str]) -> PathFilter:
        """Compile ``patterns``; a ValueError names the first one that cannot be a path pattern."""
        rules: list[tuple[bool, re.Pattern[str]]] = []
        for pattern in patterns:
            negated = pattern.startswith("!")
            body = pattern[1:] if negated else pattern
            if not body.strip():
                raise ValueError(f"empty pattern {pattern!r}")
            for prefix in ("/", "./"):
                if body.startswith(prefix):
                    raise ValueError(
                        f"{pattern!r}: paths are relative to the repository root; drop the leading {prefix!r}"
                    )
            rules.append((negated, re.compile(translate(body), re.DOTALL)))
        if rules and all(negated for negated, _ in rules):
            raise ValueError("only `!` patterns: nothing to take out from; add the paths to match first")
        return cls(tuple(rules))

    def matches(self, path: str) -> bool:
        selected = False
        for negated, regex in self.rules:
            if regex.fullmatch(path):
                selected = not negated
        return selected
