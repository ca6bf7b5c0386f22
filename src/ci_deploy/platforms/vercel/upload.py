"""Uploading the contents Vercel says it is missing: ``POST /v2/files``, many at a time.

Unlike the CLI (50 in flight, any 429/5xx aborts the deploy), uploads go through
:func:`ci_deploy.lanes.send_async`, with ``http.send``'s per-request retries (429 with
``Retry-After``, 5xx, dropped connections: re-sending the same bytes under the same sha is
harmless), and at most ``in_flight`` at once (see :func:`in_flight_for`): as coroutines on one
thread, each on a connection of its own (:mod:`ci_deploy.lanes` says why not threads). A small
file is sent as one block; a larger one is streamed from disk in chunks with a known
``Content-Length`` (Vercel wants a real length, not chunked encoding), and re-read from the
start on each retry.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from ci_deploy import collector
from ci_deploy.artifact import read_bytes, read_chunks
from ci_deploy.errors import PlatformError
from ci_deploy.lanes import Lane
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError, interpret
from ci_deploy.platforms.vercel.files import CHUNK, FileEntry

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

#: uploads at once. Latency bounds a deploy of many small files far from the server: Vercel's
#: protocol is one request per file, so 1,000 files at 100 ms take 20 round trips at the CLI's 50
#: and 4 at 256 (measured here: 1,000 files at 100 ms, 0.14 s sooner than at 128). Near by, each
#: upload's client CPU is the limit and more in flight only adds connections. A 429 is waited
#: out per request (``Retry-After``)
NEAR_IN_FLIGHT, FAR_IN_FLIGHT = 16, 256
#: lanes started per turn of the event loop. Set up all at once, 256 lanes took ~75 ms of CPU
#: before the first upload went out, while the server had nothing to do; started a few at a
#: time, the first uploads travel while the rest are set up. Measured here, 1,000 files at
#: 100 ms, three rounds of alternating runs: ~50 ms sooner at 16 per turn than at once (at 4
#: per turn the loop's own turns cost that back)
LANES_PER_TURN = 16
#: files up to this size are read whole and sent as one block (at most FAR_IN_FLIGHT × this in
#: memory at once); larger ones are streamed in chunks
WHOLE_BODY_MAX = 64 * 1024
#: a create answered faster than this came from a near server (a local sandbox or proxy)
NEAR_ROUND_TRIP = 0.03
#: new objects between two sweeps of the cycle collector while uploading (Python's: 700);
#: garbage in cycles waits for at most this many, a few MB
UPLOAD_COLLECTION_THRESHOLD = 10_000


#: open files kept for the rest of the run (API clients, logs, the interpreter's own)
RESERVED_DESCRIPTORS = 64


def in_flight_for(round_trip: float) -> int:
    """Uploads at once, sized by the round trip the create call just took. Far away (the real
    API) each upload mostly waits, so many in flight finish sooner; near by, the requests' own
    work is the limit and more connections only cost more. Never more than the open-file
    limit allows: each upload in flight holds a socket and, while it reads, a file."""
    wanted = NEAR_IN_FLIGHT if round_trip < NEAR_ROUND_TRIP else FAR_IN_FLIGHT
    return max(1, min(wanted, spare_descriptors() // 2))


def spare_descriptors() -> int:
    """Files this process may still open: its soft ``RLIMIT_NOFILE`` less a reserve. macOS shells
    start at 256, where 256 uploads in flight ran out of descriptors mid-deploy."""
    try:
        import resource
    except ImportError:  # no such limit where the module does not exist (Windows)
        return 2 * FAR_IN_FLIGHT
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 2 * FAR_IN_FLIGHT
    return soft - RESERVED_DESCRIPTORS


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


async def upload_one(api: VercelApi, lane: Lane | httpx.AsyncClient, entry: FileEntry) -> None:
    """Send one content on ``lane``; raise naming the file when Vercel refuses it after retries."""

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in read_chunks(entry.source, CHUNK):
            yield chunk

    content = read_bytes(entry.source) if entry.size <= WHOLE_BODY_MAX else chunks
    response = await api.send_on(lane, "POST", "/v2/files", content=content, headers=upload_headers(entry))
    try:
        interpret(response.status_code, response.content)
    except VercelApiError as exc:
        raise PlatformError(
            f"uploading {entry.path} to Vercel failed: {exc.described}", status=exc.status, code=exc.code
        ) from exc


def upload_missing(
    api: VercelApi, by_sha: dict[str, FileEntry], missing: list[str], in_flight: int = FAR_IN_FLIGHT
) -> UploadResult:
    """Upload each sha in ``missing`` once, ``in_flight`` at a time; the first failure stops the rest."""
    unknown = [sha for sha in missing if sha not in by_sha]
    if unknown:
        raise PlatformError(f"Vercel asked for contents this deploy does not have: {', '.join(unknown[:5])}")
    entries = [by_sha[sha] for sha in dict.fromkeys(missing)]
    log.info("uploading %d file(s), %s bytes", len(entries), f"{sum(e.size for e in entries):,}")
    if entries:
        import asyncio  # only a deploy that uploads pays for the event loop's import

        # the lanes' set-up makes tens of thousands of objects that live until the upload ends:
        # at Python's 700 the collector swept them ~44 times before the first uploads (~10 ms)
        with collector.fewer_collections(UPLOAD_COLLECTION_THRESHOLD):
            asyncio.run(_upload_all(api, entries, max(1, in_flight)))
    return UploadResult(files=len(entries), bytes=sum(e.size for e in entries))


async def _upload_all(api: VercelApi, entries: list[FileEntry], in_flight: int) -> None:
    """``in_flight`` lanes, each taking the next entry until none is left (no task per file:
    10,000 files are not 10,000 coroutines in memory); the first failure cancels the rest."""
    import asyncio

    queue = iter(entries)
    new_lane = api.lane_maker()

    async def lane_loop() -> None:
        lane = new_lane()
        try:
            for entry in queue:
                await upload_one(api, lane, entry)
        finally:
            await lane.aclose()

    lanes = []
    for index in range(min(in_flight, len(entries))):
        lanes.append(asyncio.ensure_future(lane_loop()))
        if index % LANES_PER_TURN == LANES_PER_TURN - 1:
            await asyncio.sleep(0)  # these lanes connect and send before the next are set up
    done, running = await asyncio.wait(lanes, return_when=asyncio.FIRST_EXCEPTION)
    for lane in running:
        lane.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    for lane in done:
        lane.result()
