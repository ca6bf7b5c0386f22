"""What of an artifact Cloudflare Pages serves, and the keys its asset store knows it by.

Pure rules, no network: which paths Cloudflare ignores (spec 1.5), which top-level files go in
the deployment form instead of the asset store, the per-file and per-deploy limits, the content
type, and the content hash — exactly the platform's (spec 1.4) so unchanged files are never
uploaded again. Hashing holds at most one chunk (768 KiB) of a file in memory: a file that fits
is read in one call, a larger one streamed in chunks, because the base64 of a chunk whose size
is a multiple of 3 is a prefix of the base64 of the whole. The base64 is
pybase64's (SIMD): the standard library's took two thirds of the hashing time, measured here
(1,000 files / 20 MiB: ~48 ms to hash with it, ~21 ms with pybase64), and an unchanged redeploy
waits for the hashes before its first write.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field

import blake3
import pybase64

from ci_deploy.artifact import Artifact, ArtifactFile, read_chunks, read_whole
from ci_deploy.errors import ArtifactError, LimitError

MIB = 1024 * 1024
MAX_FILE_BYTES = 25 * MIB
MAX_FILES = 20_000
#: read size for hashing and uploads: a multiple of 3, so base64 pieces concatenate exactly
CHUNK = 3 * 256 * 1024

#: top-level names that are not assets; the first four travel in the deployment form
FORM_FILES = ("_headers", "_redirects", "_worker.js", "_routes.json")
TOP_LEVEL_IGNORED = frozenset({*FORM_FILES, "functions", ".wrangler"})
IGNORED_ANYWHERE = frozenset({".DS_Store", "node_modules", ".git"})

_MIME = mimetypes.MimeTypes()  # the built-in table only: the same answer on every runner
# Where Python's table differs from the `mime` package wrangler uses (which the platform serves).
_MIME_OVERRIDES = {
    "js": "application/javascript",
    "mjs": "application/javascript",
    "cjs": "application/javascript",
    "json": "application/json",
    "map": "application/json",
    "webmanifest": "application/manifest+json",
    "wasm": "application/wasm",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "avif": "image/avif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "ico": "image/vnd.microsoft.icon",
    "md": "text/markdown",
    "txt": "text/plain",
    "xml": "application/xml",
    "eot": "application/vnd.ms-fontobject",
    "gz": "application/gzip",
    "wav": "audio/wave",
    "yaml": "text/yaml",
    "yml": "text/yaml",
    "toml": "application/toml",
    "ts": "video/mp2t",
    "jsx": "text/jsx",
    "glb": "model/gltf-binary",
    "gltf": "model/gltf+json",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}


@dataclass(frozen=True)
class Asset:
    """A file for the asset store: its manifest path (``/a/b.html``) and content key."""

    path: str
    file: ArtifactFile
    hash: str


@dataclass
class SiteFiles:
    """An artifact split the way Cloudflare reads it: assets, and form files by name."""

    assets: list[ArtifactFile] = field(default_factory=list)
    form_files: dict[str, ArtifactFile] = field(default_factory=dict)


def extname(path: str) -> str:
    """Node's ``path.extname(path)`` without the dot: ``""`` for ``README``, ``.htaccess``,
    ``a.`` and ``..``; ``gz`` for ``a.tar.gz``; the case kept."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    start_dot = base.rfind(".")
    if start_dot <= 0 or base == "..":
        # no dot, or only a leading one (".htaccess"); ".." is Node's special case
        return ""
    return base[start_dot + 1 :]


def hash_chunks(chunks: Iterable[bytes], extension: str) -> str:
    """The platform's key: hex(BLAKE3(base64(content) + extension))[:32]. Every chunk but the
    last must have a length that is a multiple of 3."""
    hasher = blake3.blake3()
    for chunk in chunks:
        hasher.update(pybase64.b64encode(chunk))
    hasher.update(extension.encode("utf-8"))
    return hasher.hexdigest()[:32]


def file_hash(file: ArtifactFile) -> str:
    """The key of ``file``. One that fits in a chunk (most files of a built site) is read with
    one call: opening it through ``Path`` and reading it through a generator took a third of
    the hashing time (1,000 files / 20 MiB: ~31 -> ~21 ms, measured here)."""
    data = read_whole(file) if file.size <= CHUNK else None
    if data is not None:
        return hash_chunks((data,), extname(file.path))
    return hash_chunks(read_chunks(file.source, CHUNK), extname(file.path))


def content_type(path: str) -> str:
    """The content type stored with the asset (served by the platform as is)."""
    extension = extname(path).lower()
    if not extension:
        return "application/octet-stream"
    if extension in _MIME_OVERRIDES:
        return _MIME_OVERRIDES[extension]
    guessed, _ = _MIME.guess_type("x." + extension, strict=False)
    return guessed or "application/octet-stream"


def split_site(artifact: Artifact) -> SiteFiles:
    """Assets and form files of ``artifact``; what Cloudflare ignores is dropped.

    A ``functions/`` folder needs wrangler's bundler (we ship no Node), and a ``_worker.js``
    folder needs bundling too: both are refused with the command that produces a single file.
    """
    site = SiteFiles()
    for file in artifact.files:
        parts = file.path.strip("/").split("/")
        if IGNORED_ANYWHERE.intersection(parts):
            continue
        top = parts[0]
        if top == "functions" and len(parts) > 1:
            raise ArtifactError(
                f"{artifact.label} has a functions/ folder (Pages Functions), which only wrangler's "
                "bundler can compile: run `npx wrangler pages functions build --outfile "
                "<artifact>/_worker.js` in your build and remove the functions/ folder from the artifact",
                input_name="artifact",
            )
        if top == "_worker.js" and len(parts) > 1:
            raise ArtifactError(
                f"{artifact.label} has a _worker.js/ folder, which needs bundling: bundle it into one "
                "_worker.js file (e.g. `npx wrangler pages functions build --outfile _worker.js`)",
                input_name="artifact",
            )
        if len(parts) == 1 and top in FORM_FILES:
            site.form_files[top] = file
        elif top not in TOP_LEVEL_IGNORED:
            site.assets.append(file)
    return site


def check_site_limits(site: SiteFiles, label: str, max_files: int = MAX_FILES) -> None:
    """Raise LimitError naming the file that breaks a limit (25 MiB a file, ``max_files``)."""
    for file in site.assets:
        if file.size > MAX_FILE_BYTES:
            raise LimitError(
                f"file '{file.path}' in {label} is {file.size / MIB:.1f} MiB; Cloudflare Pages allows "
                "at most 25 MiB per file: split it, compress it or host it elsewhere (e.g. R2)",
                input_name="artifact",
            )
    if len(site.assets) > max_files:
        first_over = site.assets[max_files].path
        raise LimitError(
            f"{label} has {len(site.assets)} files; Cloudflare Pages allows at most {max_files} per "
            f"deployment ('{first_over}' is file {max_files + 1}): remove files or deploy fewer",
            input_name="artifact",
        )


def checked_site(artifact: Artifact) -> SiteFiles:
    """:func:`split_site` within the limits that need no upload token (:func:`check_site_limits`)."""
    site = split_site(artifact)
    check_site_limits(site, artifact.label)
    return site


def hash_assets(files: list[ArtifactFile]) -> list[Asset]:
    """Every asset with its key, in artifact order, one file after another: a built site is in
    the page cache, so hashing is CPU work, and base64 holds the interpreter lock — measured,
    4 threads took twice as long as one for 1,000 files of 20 KiB, and no less for 16 MiB files.
    The adapter runs this in the background while the first requests are answered."""
    return [Asset("/" + f.path.strip("/"), f, file_hash(f)) for f in files]


def manifest(assets: list[Asset]) -> dict[str, str]:
    """The deployment manifest ``{"/path": hash}`` (paths not URL-encoded)."""
    return {asset.path: asset.hash for asset in assets}
