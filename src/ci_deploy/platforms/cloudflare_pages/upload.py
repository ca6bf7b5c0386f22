"""Direct upload to the Pages asset store: one upload JWT, ``check-missing``, buckets, upsert.

Better than wrangler (spec, "weak spots"): each distinct hash is asked about and sent once,
however many paths share it; each bucket has its own retry budget (``http.send``) and honours
``Retry-After``; and memory stays flat whatever the artifact's size — a bucket's JSON body is
generated while it is sent (base64 in pieces, length computed in advance), a few buckets at a
time, and replayed from the files on retry.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import heapq
import json
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpx
import pybase64

from ci_deploy.artifact import read_chunks
from ci_deploy.errors import ArtifactChanged, PlatformError
from ci_deploy.platforms.cloudflare_pages.api import (
    UPLOAD_TOKEN_INVALID,
    CloudflareApi,
    CloudflareApiError,
)
from ci_deploy.platforms.cloudflare_pages.endpoints import CHECK_MISSING, upload_token_path
from ci_deploy.platforms.cloudflare_pages.files import CHUNK, MAX_FILES, MIB, Asset, content_type

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.upload")

#: raw bytes per upload request: wrangler allows 40 MiB; smaller keeps retries cheap
BUCKET_BYTES = 8 * MIB
BUCKET_FILES = 2000
#: requests in flight (wrangler: 3); memory per request is one read chunk, not the bucket
UPLOAD_THREADS = 3
#: bytes per write of an upload body (see :func:`coalesced`)
WRITE_BYTES = 256 * 1024
#: refresh the JWT this long before it expires, so it cannot lapse mid-request
EXPIRY_MARGIN = 30.0


@dataclass(frozen=True)
class UploadToken:
    """The upload JWT and the claims we read from it (unverified, as wrangler does)."""

    jwt: str
    expires_at: float | None = None
    max_file_count: int = MAX_FILES

    @classmethod
    def parse(cls, jwt: str) -> UploadToken:
        claims = jwt_claims(jwt)
        exp = claims.get("exp")
        count = claims.get("max_file_count_allowed")
        return cls(
            jwt,
            float(exp) if isinstance(exp, int | float) else None,
            int(count) if isinstance(count, int | float) and count > 0 else MAX_FILES,
        )

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at - EXPIRY_MARGIN


def jwt_claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, decoded without verifying it (we only read limits and expiry)."""
    parts = jwt.split(".")
    try:
        payload = parts[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise PlatformError("Cloudflare returned an upload token that is not a readable JWT") from None
    if not isinstance(claims, dict):
        raise PlatformError("Cloudflare returned an upload token whose payload is not a JSON object")
    return claims


@dataclass(frozen=True)
class UploadResult:
    files_total: int
    bytes_total: int
    files_distinct: int
    files_new: int
    bytes_new: int


def distinct_assets(assets: list[Asset]) -> dict[str, Asset]:
    """One asset per hash (the first path carrying it): the unit of asking and sending."""
    distinct: dict[str, Asset] = {}
    for asset in assets:
        distinct.setdefault(asset.hash, asset)
    return distinct


def plan_buckets(
    assets: list[Asset],
    max_bytes: int = BUCKET_BYTES,
    max_files: int = BUCKET_FILES,
    spread: int = UPLOAD_THREADS,
) -> list[list[Asset]]:
    """Largest files first, each into the lightest bucket with room, so requests are balanced
    and a small site still goes out as ``spread`` parallel requests. A file larger than
    ``max_bytes`` (up to the 25 MiB file limit) travels alone."""
    if not assets:
        return []
    ordered = sorted(assets, key=lambda a: a.file.size, reverse=True)
    total = sum(a.file.size for a in ordered)
    count = max(min(spread, len(ordered)), -(-total // max_bytes), -(-len(ordered) // max_files))
    buckets: list[list[Asset]] = [[] for _ in range(count)]
    heap = [(0, 0, i) for i in range(count)]  # (bytes, files, index): the lightest on top
    for asset in ordered:
        size, files, index = heapq.heappop(heap)
        if files and (size + asset.file.size > max_bytes or files >= max_files):
            heapq.heappush(heap, (size, files, index))
            buckets.append([])
            size, files, index = 0, 0, len(buckets) - 1
        buckets[index].append(asset)
        heapq.heappush(heap, (size + asset.file.size, files + 1, index))
    return [bucket for bucket in buckets if bucket]


def _entry_parts(asset: Asset) -> tuple[bytes, bytes]:
    """The JSON around one file's base64 value: ``{"key":…,"value":"`` and ``","metadata":…}``."""
    prefix = b'{"key":' + json.dumps(asset.hash).encode() + b',"value":"'
    metadata = json.dumps({"contentType": content_type(asset.path)}, separators=(",", ":"))
    return prefix, b'","metadata":' + metadata.encode() + b',"base64":true}'


def bucket_body(bucket: list[Asset]) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """The exact length of a bucket's JSON body, and a function producing it in pieces.

    The body is ``[{"key", "value": base64, "metadata": {"contentType"}, "base64": true}, …]``,
    the KV bulk-write shape. Calling the function again replays it from the files (retries).
    """
    parts = [_entry_parts(asset) for asset in bucket]
    length = 2 + max(0, len(bucket) - 1)
    for (prefix, suffix), asset in zip(parts, bucket, strict=True):
        length += len(prefix) + 4 * -(-asset.file.size // 3) + len(suffix)

    def pieces() -> Iterator[bytes]:
        yield b"["
        for i, ((prefix, suffix), asset) in enumerate(zip(parts, bucket, strict=True)):
            yield (b"," if i else b"") + prefix
            sent = 0
            for chunk in read_chunks(asset.file.source, CHUNK):
                sent += len(chunk)
                yield pybase64.b64encode(chunk)
            if sent != asset.file.size:
                raise ArtifactChanged(f"file '{asset.file.path}' changed while it was being deployed")
            yield suffix
        yield b"]"

    return length, lambda: coalesced(pieces())


def coalesced(pieces: Iterator[bytes], size: int = WRITE_BYTES) -> Iterator[bytes]:
    """``pieces`` joined into writes of about ``size`` bytes. Every piece handed to httpx costs
    a pass through its HTTP/1.1 writer and a system call; a bucket of small files is three
    pieces per file, and one such pass per piece took most of the upload's CPU."""
    held: list[bytes] = []
    total = 0
    for piece in pieces:
        held.append(piece)
        total += len(piece)
        if total >= size:
            yield b"".join(held)
            held, total = [], 0
    if held:
        yield b"".join(held)


class AssetUploader:
    """Uploads a deployment's assets for one project, holding one JWT shared by all threads."""

    def __init__(
        self, api: CloudflareApi, account: str, project: str, *, threads: int = UPLOAD_THREADS
    ) -> None:
        self._api = api
        self._path = upload_token_path(account, project)
        self._threads = threads
        self._lock = threading.Lock()
        self._token: UploadToken | None = None

    def token(self) -> UploadToken:
        """The current JWT, fetched when there is none or it is about to expire."""
        with self._lock:
            if self._token is None or self._token.expired(self._api.server_now()):
                result = self._api.call("GET", self._path)
                jwt = result.get("jwt") if isinstance(result, dict) else None
                if not isinstance(jwt, str):
                    raise PlatformError("Cloudflare's upload-token answer holds no JWT")
                self._token = UploadToken.parse(jwt)
            return self._token

    def _with_jwt(self, method: str, path: str, **kwargs: Any) -> Any:
        """An assets call; a JWT the store calls invalid (8000013) is replaced and tried again."""
        for attempt in range(3):
            token = self.token()
            try:
                return self._api.assets(method, path, token.jwt, **kwargs)
            except CloudflareApiError as exc:
                if attempt == 2 or not (exc.has_code(UPLOAD_TOKEN_INVALID) or exc.status == 401):
                    raise
                with self._lock:
                    if self._token is token:
                        self._token = None
        raise AssertionError("unreachable")

    def missing(self, hashes: list[str]) -> set[str]:
        """Which of ``hashes`` (distinct) the store does not have yet."""
        if not hashes:
            return set()
        try:
            result = self._with_jwt("POST", CHECK_MISSING, json={"hashes": hashes})
        except CloudflareApiError as exc:
            raise exc.during("ask the asset store which files it lacks (check-missing)") from exc
        return {h for h in result or [] if isinstance(h, str)}

    def upload_missing_files(self, assets: list[Asset]) -> UploadResult:
        """Send the content the store lacks, each distinct hash once (every hash is refreshed
        afterwards by :meth:`upserting`, while the deployment is created)."""
        distinct = distinct_assets(assets)
        missing = self.missing(list(distinct))
        to_send = [asset for key, asset in distinct.items() if key in missing]
        buckets = plan_buckets(to_send)
        bytes_new = sum(a.file.size for a in to_send)
        log.info(
            "Uploading %d of %d distinct files (%.1f MiB) in %d requests; %d already uploaded",
            len(to_send), len(distinct), bytes_new / MIB, len(buckets), len(distinct) - len(to_send),
        )  # fmt: skip
        self._send_buckets(buckets)
        return UploadResult(
            files_total=len(assets),
            bytes_total=sum(a.file.size for a in assets),
            files_distinct=len(distinct),
            files_new=len(to_send),
            bytes_new=bytes_new,
        )

    def _send_buckets(self, buckets: list[list[Asset]]) -> None:
        if not buckets:
            return
        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            futures = [pool.submit(self._send_bucket, bucket) for bucket in buckets]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            for future in done:
                future.result()  # re-raise the first failure

    def _send_bucket(self, bucket: list[Asset]) -> None:
        length, generate = bucket_body(bucket)
        headers = {"Content-Type": "application/json", "Content-Length": str(length)}
        try:
            self._with_jwt("POST", "pages/assets/upload", content=generate, headers=headers)
        except CloudflareApiError as exc:
            more = f" and {len(bucket) - 1} more files" if len(bucket) > 1 else ""
            raise exc.during(f"upload {bucket[0].path}{more} to the asset store") from exc

    @contextlib.contextmanager
    def upserting(self, hashes: list[str]) -> Iterator[None]:
        """``upsert-hashes`` in flight while the body runs (the deployment's create), not before
        it as wrangler sends it: it only refreshes entries the store has (check-missing and the
        uploads made sure of that), so nothing waits for it, and a round trip is saved."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ci-deploy-upsert") as pool:
            refreshed = pool.submit(self.upsert, hashes)
            yield
            refreshed.result()

    def upsert(self, hashes: list[str]) -> None:
        """Tell the store these hashes are in use; a failure only costs re-uploads later."""
        if not hashes:
            return
        try:
            self._with_jwt("POST", "pages/assets/upsert-hashes", json={"hashes": hashes})
        except (CloudflareApiError, httpx.HTTPError) as exc:
            log.warning("Could not refresh the uploaded file hashes (the deploy goes on): %s", exc)
