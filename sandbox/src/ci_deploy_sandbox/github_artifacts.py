"""Emulated workflow-run artifacts and their download host.

``GET …/actions/artifacts/{id}/zip`` answers 302 to a signed URL on another host
(``artifacts.github.localhost``), as github.com redirects to blob storage. That host checks the
signature and expiry, and — like the real storage — refuses (400) a request that also carries an
``Authorization`` header: a client that forwards its GitHub token across the redirect fails here.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import quote

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.github_common import Context, GitHubErrorReply, JsonDict, Store, now, page_of

NAMESPACE = "github/artifacts"
DOWNLOAD_PATTERN = "/actions-results/{repo_id}/{id}/{file}"
SIGNED_URL_SECONDS = 600


def add_artifact(
    store: Store, blobs: app.BlobStore, repository: str, run_id: int, name: str, data: bytes, expired: bool
) -> int:
    """Store ``data`` as artifact ``name`` of run ``run_id``; returns the artifact id."""
    repo = store.repo(repository)
    key = hashlib.sha256(data).hexdigest()
    blobs.put(NAMESPACE, key, data)
    artifact_id = store.new_id()
    stamp = now()
    repo["artifacts"].append(
        {
            "id": artifact_id,
            "node_id": f"MDg6QXJ0aWZhY3Q{artifact_id}",
            "name": name,
            "size_in_bytes": len(data),
            "expired": expired,
            "created_at": stamp,
            "updated_at": stamp,
            "expires_at": stamp if expired else "2099-01-01T00:00:00Z",
            "digest": f"sha256:{key}",
            "workflow_run": {"id": run_id},
            "_blob": key,
        }
    )
    return artifact_id


def _view(ctx: Context, artifact: JsonDict) -> JsonDict:
    shown = {k: v for k, v in artifact.items() if not k.startswith("_")}
    url = f"{ctx.api_base}/actions/artifacts/{artifact['id']}"
    return {**shown, "url": url, "archive_download_url": f"{url}/zip"}


def list_run_artifacts(ctx: Context) -> app.Response:
    if not ctx.request.params["run_id"].isdigit():
        raise GitHubErrorReply(404, "Not Found")
    run_id = int(ctx.request.params["run_id"])
    name = ctx.request.arg("name")
    found = [
        _view(ctx, a)
        for a in reversed(ctx.repo["artifacts"])
        if a["workflow_run"]["id"] == run_id and (name is None or a["name"] == name)
    ]
    shown, headers = page_of(ctx.request, found)
    return app.Response.json({"total_count": len(found), "artifacts": shown}, headers=headers)


def _signature(store: Store, repo_id: str, artifact_id: str, expires: str) -> str:
    key = str(store.data["signing_key"])
    message = f"{repo_id}/{artifact_id}/{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def zip_redirect(ctx: Context) -> app.Response:
    artifact = next((a for a in ctx.repo["artifacts"] if str(a["id"]) == ctx.request.params["id"]), None)
    if artifact is None:
        raise GitHubErrorReply(404, "Not Found")
    if artifact["expired"]:
        raise GitHubErrorReply(410, "Artifact has expired")
    expires = str(int(time.time()) + SIGNED_URL_SECONDS)
    repo_id, artifact_id = str(ctx.repo["id"]), str(artifact["id"])
    signature = _signature(ctx.store, repo_id, artifact_id, expires)
    host = ctx.request.headers.get("host", f"127.0.0.1:{ctx.request.port}")
    port = host.rsplit(":", 1)[1] if ":" in host else str(ctx.request.port)
    location = (
        f"http://{identities.GITHUB_ARTIFACTS_HOST}:{port}/actions-results/{repo_id}/{artifact_id}/"
        f"{quote(artifact['name'], safe='')}.zip?se={expires}&sig={signature}"
    )
    return app.Response(302, b"", [("Location", location)])


def _storage_error(status: int, code: str, message: str) -> app.Response:
    """Errors in the blob store's own XML shape (it is not GitHub answering)."""
    xml = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
    xml += "</Error>"
    return app.Response.text(xml, status, "application/xml")


def download(store: Store, request: app.Request, blobs: app.BlobStore) -> app.Response:
    """Serve a signed artifact URL; a request that also sends ``Authorization`` is refused."""
    if request.headers.get("authorization"):
        return _storage_error(
            400, "InvalidAuthenticationInfo", "Authentication information is not given in the correct format."
        )
    repo_id, artifact_id = request.params["repo_id"], request.params["id"]
    expires, signature = request.arg("se", ""), request.arg("sig", "")
    expected = _signature(store, repo_id, artifact_id, expires or "")
    if not signature or not hmac.compare_digest(signature, expected):
        return _storage_error(403, "AuthenticationFailed", "Signature did not match.")
    if not (expires or "").isdigit() or int(expires or "0") < time.time():
        return _storage_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
    for repo in store.data["repos"].values():
        for artifact in repo["artifacts"]:
            if str(artifact["id"]) == artifact_id and str(repo["id"]) == repo_id:
                data = blobs.read(NAMESPACE, artifact["_blob"])
                return app.Response(200, data, [("Content-Type", "application/zip")])
    return _storage_error(404, "BlobNotFound", "The specified blob does not exist.")


Handler = Callable[[Context], app.Response]
#: (method, pattern under /repos/{owner}/{repo}, endpoint, handler); all need ``actions: read``
ROUTES: list[tuple[str, str, str, Handler]] = [
    ("GET", "/actions/runs/{run_id}/artifacts", "github.artifacts.list", list_run_artifacts),
    ("GET", "/actions/artifacts/{id}/zip", "github.artifacts.download", zip_redirect),
]
