"""Driving the emulated Vercel API through its router: the token and team, a fake clock, and
upload / deploy helpers shaped like the CLI's calls."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app, identities

TOKEN = identities.VERCEL_TOKEN
TEAM = identities.VERCEL_TEAM_ID
SCOPE = identities.VERCEL_TEAM_SLUG


Call = Callable[..., app.Response]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms / 1000


def js(response: app.Response) -> Any:
    return json.loads(response.body)


def upload(call: Call, data: bytes) -> str:
    sha = hashlib.sha1(data).hexdigest()
    response = call("POST", "/v2/files", data, headers={"x-now-digest": sha, "x-now-size": str(len(data))})
    assert response.status == 200, response.body
    return sha


def deploy(call: Call, files: dict[str, bytes], query: str = "", **body: Any) -> dict[str, Any]:
    """Upload ``files`` and create a deployment of them (project ``site`` unless named)."""
    entries = [{"file": p, "sha": upload(call, d), "size": len(d), "mode": 33188} for p, d in files.items()]
    response = call("POST", f"/v13/deployments{query}", {"name": "site", "files": entries, **body})
    assert response.status == 200, response.body
    created: dict[str, Any] = js(response)
    return created


def ready(call: Call, deployment: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = js(call("GET", f"/v13/deployments/{deployment['id']}"))
    return found
