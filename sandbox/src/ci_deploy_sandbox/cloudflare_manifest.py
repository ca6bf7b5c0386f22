"""Checks on what a deployment's form carries: the manifest against the project's content-hash
store, and the branch name as a Pages alias label (spec 1.4 and 1.11, exactly).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import secrets
import string
from collections.abc import Callable

import blake3

from ci_deploy_sandbox.cloudflare_common import MISSING_ASSETS, CloudflareErrorReply, bad_request

_HASH = re.compile(r"^[0-9a-f]{32}$")
_NOT_LABEL = re.compile(r"[^a-z0-9-]")
ALIAS_MAX = 28


def extname(path: str) -> str:
    """Node's ``path.extname`` without the dot: ``""`` for ``README``, ``.htaccess``, ``a.``
    and ``..``; ``"gz"`` for ``a.tar.gz``; the case is kept."""
    base = path.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0 or base == "..":
        return ""
    return base[dot + 1 :]


def pages_hash(data: bytes, path: str) -> str:
    """wrangler's asset key: the first 32 hex digits of BLAKE3(base64(bytes) + extension)."""
    text = base64.b64encode(data).decode("ascii") + extname(path)
    return blake3.blake3(text.encode("utf-8")).hexdigest()[:32]


def matching_extension(key: str, b64_text: bytes, content_type: str) -> str | None:
    """The extension, among those ``content_type`` suggests (and none), under which ``key`` is
    the Pages hash of the content — so deployment creation need not read the blob back. None
    when no candidate matches (the check then happens at deployment creation)."""
    hasher = blake3.blake3(b64_text)
    mime = content_type.split(";", 1)[0].strip().lower()
    candidates = [ext.lstrip(".") for ext in mimetypes.guess_all_extensions(mime)] if mime else []
    for ext in ["", *candidates]:
        candidate = hasher.copy()
        candidate.update(ext.encode())
        if candidate.hexdigest()[:32] == key:
            return ext
    return None


def parse_manifest(text: str, max_files: int) -> dict[str, str]:
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise bad_request(f"The manifest is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise bad_request('The manifest must be a JSON object {"/path": "<hash>"}')
    for path, key in manifest.items():
        if not path.startswith("/") or not isinstance(key, str) or not _HASH.match(key):
            raise bad_request(f"Manifest entry {path!r}: {key!r} must map a /path to a 32-hex hash")
    if len(manifest) > max_files:
        raise bad_request(
            f"The manifest has {len(manifest)} files; a deployment may have at most {max_files}"
        )
    return manifest


def check_stored(
    manifest: dict[str, str],
    has: Callable[[str], bool],
    read: Callable[[str], bytes],
    verified: set[tuple[str, str]],
) -> None:
    """Every hash must be in the project's store, and — the first time a (hash, extension) pair
    is seen — must be the Pages hash of the stored bytes under that path's extension.

    Whether the real API refuses a manifest naming hashes never uploaded, or checks keys against
    content, is unverified; refusing is the safe side (a deploy that would serve missing or wrong
    files fails loudly here instead of at the first page view).
    """
    missing = sorted({key for key in manifest.values() if not has(key)})
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise CloudflareErrorReply(
            400,
            MISSING_ASSETS,
            f"The manifest names {len(missing)} file hash(es) never uploaded to this project: {shown}",
        )
    for path, key in manifest.items():
        pair = (key, extname(path))
        if pair in verified:
            continue
        actual = pages_hash(read(key), path)
        if actual != key:
            raise bad_request(
                f"Manifest entry {path!r} names hash {key}, but the content uploaded under that key "
                f"hashes to {actual} for a {pair[1]!r} extension (BLAKE3 of base64 + extension)"
            )
        verified.add(pair)


def alias_label(branch: str, known: dict[str, str]) -> str:
    """The branch alias label: lower-case, characters outside ``[a-z0-9-]`` become ``-`` (runs
    kept), ``-`` trimmed at both ends, cut to 28 (a ``-`` left by the cut stays); if nothing is
    left, ``branch-<10 random alphanumerics>``, remembered in ``known`` so it stays stable."""
    label = _NOT_LABEL.sub("-", branch.lower()).strip("-")[:ALIAS_MAX]
    if label:
        return label
    if branch not in known:
        alphabet = string.ascii_lowercase + string.digits
        known[branch] = "branch-" + "".join(secrets.choice(alphabet) for _ in range(10))
    return known[branch]
