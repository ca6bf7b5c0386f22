"""Uploading the contents Vercel says it is missing: ``POST /v2/files``, many at a time.

Unlike the CLI (50 in flight, any 429/5xx aborts the deploy), uploads go through
``http.send`` with its per-request retries (429 with ``Retry-After``, 5xx, dropped connections:
re-sending the same bytes under the same sha is harmless) and at most ``in_flight`` at once
(see :func:`in_flight_for`), each thread on its own connection (:meth:`VercelApi.lane`).
A small file is sent as one block; a larger one is streamed from disk in chunks with a known
``Content-Length`` (Vercel wants a real length, not chunked encoding), and re-read from the
start on each retry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import (
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    Future,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass

from ci_deploy.errors import PlatformError
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError, interpret
from ci_deploy.platforms.vercel.files import FileEntry, read_chunks

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

#: uploads at once. Latency bounds a deploy of many small files far from the server: Vercel's
#: protocol is one request per file, so 1,000 files at 100 ms take 20 round trips at the CLI's 50
#: and 10 at 100. Near by, each upload's ~1 ms of client CPU under one interpreter lock is the
#: limit and more threads only contend for it. A 429 is waited out per request (``Retry-After``)
NEAR_IN_FLIGHT, FAR_IN_FLIGHT = 16, 128
#: files up to this size are read whole and sent as one block (at most FAR_IN_FLIGHT × this in
#: memory at once); larger ones are streamed in chunks
WHOLE_BODY_MAX = 64 * 1024
#: a create answered faster than this came from a near server (a local sandbox or proxy)
NEAR_ROUND_TRIP = 0.03


def in_flight_for(round_trip: float) -> int:
    """Uploads at once, sized by the round trip the create call just took. Far away (the real
    API) each upload mostly waits, so many in flight finish sooner; near by, the requests' own
    work is the limit and more threads only contend for the interpreter."""
    return NEAR_IN_FLIGHT if round_trip < NEAR_ROUND_TRIP else FAR_IN_FLIGHT


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

    content = entry.source.read_bytes() if entry.size <= WHOLE_BODY_MAX else body
    response = api.send(
        "POST", "/v2/files", content=content, headers=upload_headers(entry), client=api.lane()
    )
    try:
        interpret(response.status_code, response.content)
    except VercelApiError as exc:
        raise PlatformError(
            f"uploading {entry.path} to Vercel failed: {exc.described}", status=exc.status, code=exc.code
        ) from exc


def upload_missing(
    api: VercelApi, by_sha: dict[str, FileEntry], missing: list[str], in_flight: int = FAR_IN_FLIGHT
) -> UploadResult:
    """Upload each sha in ``missing`` once; the first failure stops the rest."""
    unknown = [sha for sha in missing if sha not in by_sha]
    if unknown:
        raise PlatformError(f"Vercel asked for contents this deploy does not have: {', '.join(unknown[:5])}")
    entries = [by_sha[sha] for sha in dict.fromkeys(missing)]
    log.info("uploading %d file(s), %s bytes", len(entries), f"{sum(e.size for e in entries):,}")
    workers = max(1, in_flight)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: set[Future[None]] = set()
        for entry in entries:  # submitted as slots free up: no queue of 10,000 tasks in memory
            if len(pending) >= 2 * workers:
                pending = _settle(pending, FIRST_COMPLETED)
            pending.add(pool.submit(upload_one, api, entry))
        while pending:
            pending = _settle(pending, FIRST_EXCEPTION)
    return UploadResult(files=len(entries), bytes=sum(e.size for e in entries))


def _settle(pending: set[Future[None]], return_when: str) -> set[Future[None]]:
    """Wait as ``return_when`` says; the first failed upload cancels the rest and raises."""
    done, still = wait(pending, return_when=return_when)
    for future in done:
        if future.exception() is not None:
            for other in still:
                other.cancel()
            future.result()
    return still
