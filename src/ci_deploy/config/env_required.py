"""Which env var names a deploy needs (``env-required: auto``).

Two sources, both read without running anything: the names listed in ``.env.example`` /
``.env.sample`` of the working directory (the project's own declaration), and the names the
artifact's server code reads — ``process.env.X`` / ``env.X`` in ``_worker.js`` (a file or a
folder) and in Build Output API functions (``.vercel/output/functions/**``). Bundlers inline
framework and platform variables, so names the platform sets itself are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

from ci_deploy.artifact import Artifact, ArtifactFile

EXAMPLE_FILES = (".env.example", ".env.sample")
_CODE_SUFFIXES = (".js", ".mjs", ".cjs")
#: larger files are bundles of libraries, not an app's own reads; skip them
_MAX_SCAN_BYTES = 8 * 1024 * 1024
_NAME = r"([A-Z][A-Z0-9_]*)"
_READS = (
    re.compile(r"\bprocess\.env\." + _NAME + r"\b"),
    re.compile(r"\bprocess\.env\[\s*[\"']" + _NAME + r"[\"']\s*\]"),
    re.compile(r"(?<![.\w])env\." + _NAME + r"\b"),
)
#: set by the platform or the runtime, never by the user
_PLATFORM_PREFIXES = ("VERCEL", "NEXT_", "NODE_", "CF_PAGES", "__", "NOW_", "TURBO", "npm_")
_PLATFORM_NAMES = frozenset({"ASSETS", "CI", "DEBUG", "HOME", "PATH", "PORT", "PWD", "TZ", "LANG", "TERM"})
_EXAMPLE_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|$)")


def example_names(working_directory: Path) -> set[str]:
    """Names declared in ``.env.example`` / ``.env.sample`` (``KEY=...`` or a bare ``KEY``)."""
    names: set[str] = set()
    for file_name in EXAMPLE_FILES:
        path = working_directory / file_name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip().startswith("#"):
                continue
            if match := _EXAMPLE_LINE.match(line):
                names.add(match.group(1))
    return names


def is_server_code(path: str) -> bool:
    """``_worker.js``, files inside a ``_worker.js/`` folder, and Build Output API functions."""
    if path == "_worker.js":
        return True
    if not path.endswith(_CODE_SUFFIXES):
        return False
    return path.startswith("_worker.js/") or re.search(r"(^|/)functions/.+\.func/", path) is not None


def names_read_by(file: ArtifactFile) -> set[str]:
    if file.size > _MAX_SCAN_BYTES:
        return set()
    text = file.source.read_text(encoding="utf-8", errors="replace")
    found = {match.group(1) for pattern in _READS for match in pattern.finditer(text)}
    return {name for name in found if name not in _PLATFORM_NAMES and not name.startswith(_PLATFORM_PREFIXES)}


def code_names(artifact: Artifact) -> set[str]:
    names: set[str] = set()
    for file in artifact.files:
        if is_server_code(file.path):
            names |= names_read_by(file)
    return names


def auto_required(working_directory: Path, artifact: Artifact | None) -> frozenset[str]:
    found = example_names(working_directory)
    if artifact is not None:
        found |= code_names(artifact)
    return frozenset(found)
