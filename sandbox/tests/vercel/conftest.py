"""Fixtures for the emulated Vercel API: an in-memory ``world``, a fake ``clock``, the ``api``
over them and ``call``, which sends one request through its router."""

from __future__ import annotations

import json
from typing import Any

import pytest
from memory_world import MemoryWorld
from vercel_calls import TEAM, TOKEN, Call, Clock

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel import VercelEmulator


@pytest.fixture
def world() -> MemoryWorld:
    return MemoryWorld(4321)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(world: MemoryWorld, clock: Clock) -> VercelEmulator:
    return VercelEmulator(world, clock=clock, timers=False)


@pytest.fixture
def call(api: VercelEmulator) -> Call:
    """``call(method, path, body=None, token=TOKEN, team=TEAM, headers={})`` -> Response."""

    def run(
        method: str,
        path: str,
        body: Any = None,
        token: str | None = TOKEN,
        team: str | None = TEAM,
        headers: dict[str, str] | None = None,
    ) -> app.Response:
        if team:
            path += ("&" if "?" in path else "?") + f"teamId={team}"
        sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        request = app.Request.build(method, path, sent, data, port=4321)
        route = api.router.match(request)
        return route.handler(request) if route else api.error(request, 404, "no route")

    return run
