"""Calls the emulated Cloudflare API through its router, as the server would, over a small
in-memory world and a fake clock: no sockets, no sleeping."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from memory_world import MemoryWorld

from ci_deploy_sandbox import app, identities
from ci_deploy_sandbox.cloudflare import CloudflareEmulator
from ci_deploy_sandbox.cloudflare_manifest import pages_hash

TOKEN = identities.CLOUDFLARE_TOKEN
ACCOUNT = identities.CLOUDFLARE_ACCOUNT_ID
PORT = 8787
PROJECTS = f"/accounts/{ACCOUNT}/pages/projects"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Client:
    """Calls the API's router as the server would, and unwraps the envelope."""

    def __init__(self) -> None:
        self.world = MemoryWorld(PORT, {"cloudflare.deploy_delay_ms": 0})
        self.clock = Clock()
        self.api = CloudflareEmulator(self.world, self.clock)

    def call(
        self, method: str, path: str, payload: Any = None, token: str | None = TOKEN, **extra: Any
    ) -> tuple[int, dict[str, Any]]:
        headers = dict(extra.pop("headers", {}))
        body = extra.pop("body", None)
        if body is None and payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = app.Request.build(method, "/client/v4" + path, headers, body or b"", PORT)
        route = self.api.router.match(request)
        response = route.handler(request) if route else self.api.error(request, 404, "no route")
        return response.status, json.loads(response.body)

    def ok(self, method: str, path: str, payload: Any = None, **extra: Any) -> Any:
        status, body = self.call(method, path, payload, **extra)
        assert body["success"] and status == 200, body
        return body["result"]

    def create_project(self, name: str = "shop", branch: str = "main") -> dict[str, Any]:
        return dict(self.ok("POST", PROJECTS, {"name": name, "production_branch": branch}))

    def upload(self, project: str, files: dict[str, bytes]) -> dict[str, str]:
        """Upload like wrangler: the JWT, then one bulk upload; returns the manifest."""
        jwt = self.ok("GET", f"{PROJECTS}/{project}/upload-token")["jwt"]
        manifest = {path: pages_hash(data, path) for path, data in files.items()}
        items = [
            {"key": manifest[p], "value": base64.b64encode(d).decode(), "metadata": {}, "base64": True}
            for p, d in files.items()
        ]
        self.ok("POST", "/pages/assets/upload", items, token=jwt)
        return manifest

    def deploy(self, project: str, manifest: dict[str, str], **fields: str) -> tuple[int, dict[str, Any]]:
        parts = {"manifest": json.dumps(manifest), **fields}
        built = httpx.Request("POST", "http://x/", files={k: (None, v) for k, v in parts.items()})
        body = built.read()
        headers = {"Content-Type": built.headers["content-type"]}
        return self.call("POST", f"{PROJECTS}/{project}/deployments", headers=headers, body=body)

    def deployed(self, project: str, files: dict[str, bytes] | None = None, **fields: str) -> dict[str, Any]:
        manifest = self.upload(project, files or {"/index.html": b"<h1>hi</h1>"})
        status, body = self.deploy(project, manifest, **fields)
        assert status == 200, body
        return dict(body["result"])


def host(url: str) -> str:
    return url.removeprefix("http://").removesuffix(f":{PORT}")
