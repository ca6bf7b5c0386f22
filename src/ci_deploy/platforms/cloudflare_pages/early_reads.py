"""A Cloudflare Pages deploy's head start (:mod:`ci_deploy.head_start`): the project and the
upload token read at once, and check-missing sent the moment the token's answer brings the JWT.

check-missing is a POST only because its body is the list of hashes: the interface names it
read-only (a dry run may send it), and it changes nothing. For it, the folder is listed and
hashed on the main thread while the first two reads travel (~20 ms for 1,000 files / 20 MiB; on
a thread beside the imports, each file read would wait for the interpreter lock). It is the very
request :meth:`~.upload.AssetUploader.missing` sends for the same files (same hashes, same order,
same JWT), so the run takes its answer instead of waiting a round trip more, and
:func:`hashed_assets` hands the hashes to the adapter, which would otherwise work them out again.

The hashing modules (the artifact walk, BLAKE3, base64) load in :meth:`EarlyCheckMissing.prepare`,
after the first reads have left.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ci_deploy import head_start
from ci_deploy.errors import CiDeployError
from ci_deploy.first_reads import FirstRead
from ci_deploy.platforms.cloudflare_pages.endpoints import (
    CHECK_MISSING,
    DEFAULT_API_URL,
    projects_path,
    upload_token_path,
)

if TYPE_CHECKING:
    from ci_deploy.first_reads import EarlyAnswer
    from ci_deploy.platforms.cloudflare_pages.files import Asset, SiteFiles

#: the largest folder hashed ahead, before the run's own checks: it delays them on the main
#: thread, and past this the round trip saved is small beside the hashing
EARLY_MAX_FILES = 2000
EARLY_MAX_BYTES = 64 * 1024 * 1024
#: files listed at most: a few are left out of the assets (``_headers``, what Cloudflare ignores)
EARLY_MAX_LISTED = 2 * EARLY_MAX_FILES


def first_reads(raw: Mapping[str, str]) -> Sequence[FirstRead]:
    """The project and, beside it, the upload token (a deploy into an existing project needs
    both; into a new one the token read is answered 404 and not used, a read that changed
    nothing), whose answer sends check-missing for the folder."""
    global _latest
    _latest = None
    account, project, token = raw["account"], raw["project"], raw["token"]
    if not account:
        return []  # the account is found by a read of its own first
    base_url = (raw["api-url"] or DEFAULT_API_URL).rstrip("/")
    folder = Path(raw["working-directory"] or ".") / (raw["artifact"] or "dist")
    _latest = check_missing = EarlyCheckMissing(base_url, folder)
    return [
        FirstRead.of("GET", f"{base_url}/{projects_path(account, project)}", token),
        FirstRead.of(
            "GET",
            f"{base_url}/{upload_token_path(account, project)}",
            token,
            prepare=check_missing.prepare,
            then=check_missing.reads,
        ),
    ]


class EarlyCheckMissing:
    """check-missing for one folder, hashed once on the main thread (:meth:`prepare`) and sent
    from the upload token's answer (:meth:`reads`). A folder that cannot be deployed as it is,
    or is larger than ``EARLY_MAX_*``, gets none: the run finds out itself."""

    def __init__(self, base_url: str, folder: Path) -> None:
        self._base_url = base_url
        self._folder = folder
        self._lock = threading.Lock()
        self._prepared = False
        self.assets: list[Asset] | None = None
        self._hashes: list[str] = []

    def prepare(self) -> None:
        """Hash the folder; everything :meth:`reads` needs is worked out here, imports included:
        on the thread that gets the token's answer, each would wait for the importing main thread."""
        from ci_deploy.platforms.cloudflare_pages.upload import distinct_assets

        with self._lock:
            if not self._prepared:
                self._prepared = True
                self.assets = _hash_folder(self._folder)
                if self.assets:
                    self._hashes = list(distinct_assets(self.assets))

    def reads(self, token_answer: EarlyAnswer) -> list[FirstRead]:
        """The check-missing read the upload token's answer (a 200) makes possible."""
        self.prepare()
        jwt = (token_answer.json().get("result") or {}).get("jwt")
        if not self._hashes or not isinstance(jwt, str):
            return []
        url = f"{self._base_url}/{CHECK_MISSING}"
        return [FirstRead.of("POST", url, jwt, json={"hashes": self._hashes})]


def _hash_folder(folder: Path) -> list[Asset] | None:
    """The folder's assets with their keys, as the adapter works them out."""
    from ci_deploy.artifact import TooManyFiles, walk_directory
    from ci_deploy.platforms.cloudflare_pages.files import hash_assets, split_site

    try:
        site = split_site(walk_directory(folder, str(folder), at_most=EARLY_MAX_LISTED))
    except (CiDeployError, TooManyFiles):
        return None
    if len(site.assets) > EARLY_MAX_FILES or sum(file.size for file in site.assets) > EARLY_MAX_BYTES:
        return None
    return hash_assets(site.assets)


#: this run's early check-missing (None: no head start, or not on Cloudflare Pages)
_latest: EarlyCheckMissing | None = None


def hashed_assets(site: SiteFiles) -> list[Asset] | None:
    """The assets of ``site`` as the head start hashed them, when it hashed these very files
    (same paths, places on disk and sizes; a file rewritten at the same size in the ~0.2 s
    between is the window any hashing has before the upload), for this run; else None."""
    early = _latest
    if early is None or early.assets is None or not head_start.running():
        return None
    if [asset.file for asset in early.assets] != site.assets:
        return None
    return early.assets
