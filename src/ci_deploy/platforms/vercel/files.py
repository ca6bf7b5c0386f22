"""What a Vercel deployment is made of: static vs prebuilt layout, platform limits, sha1 per file.

Pure apart from reading the artifact's own files: no network, so the dry run and
``check_limits`` can use it before anything is sent.

Prebuilt: an artifact that contains ``.vercel/output/config.json`` (Build Output API v3), or is
that folder itself, is deployed like ``vercel deploy --prebuilt``: only ``.vercel/output/**`` is
sent, under that prefix, with ``?prebuilt=1``. Like the CLI we refuse a ``builds.json`` that
recorded an error, and a preview build (``builds.json`` ``target: "preview"``) sent to production.

Limits (vercel.md, "Size and count limits" [docs]): at most 10,000 files per deployment (older
limits page), and 1 GiB of static uploads (the Pro plan's cap; Hobby's is 100 MB, which we only
warn about because the plan is not known here).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_deploy import hash_ahead
from ci_deploy.artifact import Artifact, ArtifactFile, read_chunks, read_whole
from ci_deploy.errors import ArtifactError, LimitError
from ci_deploy.platforms.base import Environment, UploadPlan

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

OUTPUT_PREFIX = ".vercel/output/"
FILE_MODE = 0o100644  # 33188: what the CLI sends for a regular file
MAX_FILES = 10_000
MAX_TOTAL_BYTES = 1024**3
HOBBY_TOTAL_BYTES = 100 * 1000**2
CHUNK = 1024 * 1024
#: what ``vercel deploy`` (58.10.0, ``getVercelIgnore``) leaves out of a folder it deploys, as
#: gitignore rules without a slash: a file or folder of that name (glob) at any depth
IGNORES = (
    ".hg", ".git", ".gitmodules", ".svn", ".cache", ".next", ".now", ".vercel", ".npmignore",
    ".dockerignore", ".gitignore", ".*.swp", ".ds_store", ".wafpicke-*", ".lock-wscript",
    ".env.local", ".env.*.local", ".venv", ".pnp*", "npm-debug.log", "config.gypi",
    "node_modules", "__pycache__", "venv", "cvs",
)  # fmt: skip
#: ... and the one rule with a slash, which holds from the folder's root
ROOT_IGNORES = (".yarn/cache",)
#: every name rule at once: one match per path component, not one per rule
_IGNORED_NAME = re.compile("|".join(fnmatch.translate(pattern) for pattern in IGNORES))


@dataclass(frozen=True)
class Layout:
    """The files to send, each under the path Vercel gets, and whether this is a prebuilt deploy."""

    prebuilt: bool
    files: tuple[tuple[str, ArtifactFile], ...]


@dataclass(frozen=True)
class FileEntry:
    """One file of the deployment: path sent to Vercel, sha1 of its bytes, size, where it is."""

    path: str
    sha: str
    size: int
    source: Path


def _read_json(file: ArtifactFile) -> Any:
    try:
        return json.loads(file.source.read_bytes())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read {file.path} as JSON: {exc}", input_name="artifact") from exc


def _is_output_root(artifact: Artifact, by_path: dict[str, ArtifactFile]) -> bool:
    """The artifact *is* a ``.vercel/output`` folder: a v3 ``config.json`` at its root next to
    ``static/`` or ``functions/`` (or the folder is literally named ``.vercel/output``)."""
    config = by_path.get("config.json")
    if config is None:
        return False
    named = artifact.root.name == "output" and artifact.root.parent.name == ".vercel"
    shaped = any(p.startswith(("static/", "functions/")) for p in by_path)
    if not (named or shaped):
        return False
    data = _read_json(config)
    return isinstance(data, dict) and data.get("version") == 3


def detect_layout(artifact: Artifact) -> Layout:
    """Static or prebuilt, and the path of each file as Vercel gets it."""
    by_path = {f.path: f for f in artifact.files}
    config = by_path.get(OUTPUT_PREFIX + "config.json")
    if config is not None:
        data = _read_json(config)
        version = data.get("version") if isinstance(data, dict) else None
        if version != 3:
            raise ArtifactError(
                f"{config.path} has version {version!r}; only the Build Output API v3 can be deployed",
                input_name="artifact",
            )
        chosen = tuple((f.path, f) for f in artifact.files if f.path.startswith(OUTPUT_PREFIX))
        return Layout(prebuilt=True, files=chosen)
    if _is_output_root(artifact, by_path):
        return Layout(prebuilt=True, files=tuple((OUTPUT_PREFIX + f.path, f) for f in artifact.files))
    return Layout(prebuilt=False, files=_static_files(artifact))


def _static_files(artifact: Artifact) -> tuple[tuple[str, ArtifactFile], ...]:
    """The folder's files but those ``vercel deploy`` leaves out (a ``.git``, ``node_modules``,
    ``.env.local`` deployed as the repository root would otherwise be served to anyone)."""
    ignored = [is_ignored(f.path) for f in artifact.files]
    kept = tuple((f.path, f) for f, out in zip(artifact.files, ignored, strict=True) if not out)
    left_out = sorted({_ignored_part(f.path) for f, out in zip(artifact.files, ignored, strict=True) if out})
    if left_out:
        log.info("left out as vercel deploy does: %s", ", ".join(left_out[:10]))
    if left_out and not kept:
        raise ArtifactError(
            f"{artifact.label} holds only files vercel deploy leaves out ({', '.join(left_out[:5])}); "
            "point artifact at the build's output folder",
            input_name="artifact",
        )
    return kept


def _ignored_part(path: str) -> str:
    """The file or folder of ``path`` that a rule leaves out (``sub/.git`` for ``sub/.git/HEAD``)."""
    parts = path.split("/")
    return next("/".join(parts[:n]) for n in range(1, len(parts) + 1) if is_ignored("/".join(parts[:n])))


def is_ignored(path: str) -> bool:
    """Whether ``vercel deploy`` of a folder leaves ``path`` out (its default ignore rules)."""
    lowered = path.lower()  # the CLI's matcher ignores case
    if any(lowered == root or lowered.startswith(root + "/") for root in ROOT_IGNORES):
        return True
    return any(_IGNORED_NAME.match(part) for part in lowered.split("/"))


def check_prebuilt(layout: Layout, environment: Environment) -> None:
    """Refuse what ``vercel deploy --prebuilt`` refuses, from ``builds.json``."""
    builds = next((f for p, f in layout.files if p == OUTPUT_PREFIX + "builds.json"), None)
    if not layout.prebuilt or builds is None:
        return
    data = _read_json(builds)
    if not isinstance(data, dict):
        return
    errors = [data["error"]] if data.get("error") else []
    errors += [b["error"] for b in data.get("builds") or [] if isinstance(b, dict) and b.get("error")]
    if errors:
        first = errors[0]
        text = first.get("message", first) if isinstance(first, dict) else first
        raise ArtifactError(
            f"the prebuilt output recorded a failed build ({builds.path}): {text}",
            input_name="artifact",
            details="Fix the build (`vercel build`) and deploy its new .vercel/output.",
        )
    if environment == "production" and data.get("target") == "preview":
        raise ArtifactError(
            "the prebuilt output was built for preview (builds.json target 'preview') "
            "but this is a production deploy",
            input_name="artifact",
            details="Run `vercel build --prod` for production, or deploy it as a preview.",
        )


def check_limits(layout: Layout, label: str) -> None:
    """Refuse an empty deployment, more than :data:`MAX_FILES` files, or more than
    :data:`MAX_TOTAL_BYTES` bytes, naming the file that crosses the limit."""
    if not layout.files:
        raise ArtifactError(f"{label} has no files to deploy", input_name="artifact")
    if len(layout.files) > MAX_FILES:
        path = layout.files[MAX_FILES][0]
        raise LimitError(
            f"{label} has {len(layout.files)} files; Vercel takes at most {MAX_FILES:,} per deployment "
            f"(the first file past the limit is {path})",
            input_name="artifact",
        )
    total = 0
    for path, file in layout.files:
        total += file.size
        if total > MAX_TOTAL_BYTES:
            biggest = max(layout.files, key=lambda item: item[1].size)
            raise LimitError(
                f"{label} exceeds Vercel's 1 GiB static upload limit at {path} "
                f"(largest file: {biggest[0]}, {biggest[1].size:,} bytes)",
                input_name="artifact",
            )
    if total > HOBBY_TOTAL_BYTES:
        log.warning("%s is %s bytes: more than the Hobby plan's 100 MB upload limit", label, f"{total:,}")


def sha1_of(file: ArtifactFile) -> str:
    """The file's sha1: the head start's (:mod:`ci_deploy.hash_ahead`), or worked out here; one
    that fits in a chunk is read in one call (see :func:`read_whole`)."""
    ahead = hash_ahead.sha1_of(file.source, file.size)
    if ahead is not None:
        return ahead
    whole = read_whole(file) if file.size <= CHUNK else None
    digest = hashlib.sha1(usedforsecurity=False)
    for data in (whole,) if whole is not None else read_chunks(file.source, CHUNK):
        digest.update(data)
    return digest.hexdigest()


def hash_layout(layout: Layout) -> list[FileEntry]:
    """Every file with its sha1, one after another: a built site is in the page cache, and
    measured, threads made 1,000 small files slower and 16 MiB files no faster."""
    return [FileEntry(path, sha1_of(file), file.size, file.source) for path, file in layout.files]


def distinct(entries: list[FileEntry]) -> dict[str, FileEntry]:
    """One entry per content: identical files are uploaded once."""
    unique: dict[str, FileEntry] = {}
    for entry in entries:
        unique.setdefault(entry.sha, entry)
    return unique


def upload_plan(entries: list[FileEntry]) -> UploadPlan:
    """Totals for the dry run; new-vs-reused is unknown on Vercel without creating (spec)."""
    unique = distinct(entries)
    return UploadPlan(
        files_total=len(entries),
        bytes_total=sum(e.size for e in entries),
        files_distinct=len(unique),
    )


def file_list(entries: list[FileEntry]) -> list[dict[str, Any]]:
    """The ``files`` array of the create body."""
    return [{"file": e.path, "sha": e.sha, "size": e.size, "mode": FILE_MODE} for e in entries]
