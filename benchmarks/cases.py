"""The benchmark cases and the files they deploy.

A case is a list of file sizes plus who runs it. Content is generated per run (BLAKE3 in XOF
mode, seeded by run and path): incompressible and distinct for every file and every run, so a
"fresh" deploy never finds its bytes already on the server, even though the store is shared by
every project of the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import blake3

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
#: Cloudflare Pages' per-file maximum (wrangler's MAX_ASSET_SIZE); the big file is exactly this
CLOUDFLARE_MAX_FILE = 25 * MIB
#: extensions cycled through, so content types and Cloudflare's extension-salted hashes vary
EXTENSIONS = ("js", "css", "html", "png", "json", "woff2", "svg", "txt")
PLATFORMS = ("cloudflare-pages", "vercel")
CHUNK = 4 * MIB


@dataclass(frozen=True)
class Case:
    """``sizes`` are the file sizes in bytes; ``redeploy_of`` names the case whose files and
    project are deployed again unchanged (then this case generates nothing itself)."""

    name: str
    title: str
    sizes: tuple[int, ...]
    platforms: tuple[str, ...] = PLATFORMS
    official: bool = True
    redeploy_of: str | None = None
    runs: int | None = None

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)

    @property
    def files(self) -> int:
        return len(self.sizes)


def spread(count: int, total: int) -> tuple[int, ...]:
    """``count`` sizes that vary (±50 % around the mean, deterministic) and add up to ``total``."""
    if count <= 0:
        return ()
    mean = total // count
    sizes = [mean + (mean * ((i * 37) % 101 - 50)) // 100 for i in range(count)]
    sizes[-1] += total - sum(sizes)
    return tuple(sizes)


def big_among_small(big: int, small_count: int, small_size: int) -> tuple[int, ...]:
    return (big, *spread(small_count, small_count * small_size))


def build_cases(quick: bool = False, big_runs: int = 1) -> list[Case]:
    """The issue's cases; ``quick`` shrinks every one of them (for trying things out)."""
    scale = 10 if quick else 1
    fresh = spread(1000 // scale, 20 * MIB // scale)
    artifact_size = (64 * MIB) if quick else GIB
    artifact_files = artifact_size // (16 * MIB)
    return [
        Case("fresh", f"{len(fresh):,} files / {_mib(sum(fresh))} fresh project", fresh),
        Case("unchanged", "the same again, unchanged", fresh, redeploy_of="fresh"),
        Case("small", f"{10_000 // scale:,} small files", spread(10_000 // scale, 10_000 // scale * KIB)),
        Case(
            "big",
            f"one {_mib(CLOUDFLARE_MAX_FILE)} file among {100 // scale} small ones",
            big_among_small(CLOUDFLARE_MAX_FILE, 100 // scale, 2 * KIB),
        ),
        Case(
            "artifact",
            f"{_mib(artifact_size)} artifact ({artifact_files} files of 8–24 MiB), memory",
            spread(artifact_files, artifact_size),
            platforms=("cloudflare-pages",),
            official=False,
            runs=big_runs,
        ),
    ]


def file_names(count: int) -> Iterator[str]:
    """Relative paths: 100 files per folder, extensions cycling."""
    for i in range(count):
        yield f"d{i // 100:03d}/f{i:05d}.{EXTENSIONS[i % len(EXTENSIONS)]}"


def generate(case: Case, root: Path, seed: str) -> int:
    """Write the case's files under ``root``; returns the bytes written."""
    written = 0
    for name, size in zip(file_names(case.files), case.sizes, strict=True):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = blake3.blake3(f"{seed}/{name}".encode())
        with path.open("wb") as out:
            for offset in range(0, size, CHUNK):
                out.write(stream.digest(length=min(CHUNK, size - offset), seek=offset))
        written += size
    return written


def _mib(size: int) -> str:
    if size >= GIB and size % GIB == 0:
        return f"{size // GIB} GiB"
    value = size / MIB
    return f"{value:g} MiB" if value >= 1 else f"{size / KIB:g} KiB"
