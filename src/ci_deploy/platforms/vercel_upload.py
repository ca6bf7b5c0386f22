"""Uploading the contents Vercel says it is missing: ``POST /v2/files``, a few at a time.

Unlike the CLI (50 in flight, any 429/5xx aborts the deploy), uploads go through
``http.send`` with its per-request retries (429 with ``Retry-After``, 5xx, dropped connections:
re-sending the same bytes under the same sha is harmless) and at most :data:`IN_FLIGHT` at once.
Bodies are streamed from disk in chunks with a known ``Content-Length`` (Vercel wants a real
length, not chunked encoding), and re-read from the start on each retry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from ci_deploy.errors import PlatformError
from ci_deploy.platforms.vercel_api import VercelApi, VercelApiError, interpret
from ci_deploy.platforms.vercel_files import FileEntry, read_chunks

log = logging.getLogger("ci_deploy.platforms.vercel")

IN_FLIGHT = 8


@dataclass(frozen=True)
class UploadResult:
    files: int
    bytes: int


def upload_headers(entry: FileEntry) -> dict[str, str]:
    """Both digest header names (the docs accept either; the CLI sends ``x-now-digest``)."""
    return {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(entry.size),
        "x-vercel-digest": entry.sha,
        "x-now-digest": entry.sha,
        "x-now-size": str(entry.size),
    }


def upload_one(api: VercelApi, entry: FileEntry) -> None:
    """Send one content; raise naming the file when Vercel refuses it after retries."""

    def body() -> Iterable[bytes]:
        return read_chunks(entry.source)

    response = api.send("POST", "/v2/files", content=body, headers=upload_headers(entry))
    try:
        interpret(response.status_code, response.content)
    except VercelApiError as exc:
        raise PlatformError(
            f"uploading {entry.path} to Vercel failed: {exc.described}", status=exc.status, code=exc.code
        ) from exc


def upload_missing(
    api: VercelApi, by_sha: dict[str, FileEntry], missing: list[str], in_flight: int = IN_FLIGHT
) -> UploadResult:
    """Upload each sha in ``missing`` once; the first failure stops the rest."""
    unknown = [sha for sha in missing if sha not in by_sha]
    if unknown:
        raise PlatformError(f"Vercel asked for contents this deploy does not have: {', '.join(unknown[:5])}")
    entries = [by_sha[sha] for sha in dict.fromkeys(missing)]
    log.info("uploading %d file(s), %s bytes", len(entries), f"{sum(e.size for e in entries):,}")
    with ThreadPoolExecutor(max_workers=max(1, in_flight)) as pool:
        futures: list[Future[None]] = [pool.submit(upload_one, api, entry) for entry in entries]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in futures:
            if future in done:
                future.result()  # re-raises the first upload's error
    return UploadResult(files=len(entries), bytes=sum(e.size for e in entries))
