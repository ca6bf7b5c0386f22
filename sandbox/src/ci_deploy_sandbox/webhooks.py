"""A webhook receiver: any POST to ``http://hooks.localhost:<port>/<path>`` (a generic webhook)
or ``http://hooks.slack.localhost:<port>/services/...`` (a Slack incoming webhook) is recorded with
its headers and body, and read back with ``GET /_sandbox/webhooks`` (or :meth:`received`).

Slack answers ``ok`` as text, a generic receiver ``{"ok": true}``. Faults apply by endpoint:
``webhooks.receive`` and ``webhooks.slack``.
"""

from __future__ import annotations

import time
from typing import Any

from ci_deploy_sandbox import app

HOST = "hooks.localhost"
SLACK_HOST = "hooks.slack.localhost"


class _HostRouter(app.Router):
    """Slack's host has its own endpoint name, so a fault can hit one receiver and not the other."""

    def __init__(self) -> None:
        super().__init__()
        self.slack = app.Router()

    def match(self, request: app.Request) -> app.Route | None:
        if request.host == SLACK_HOST:
            return self.slack.match(request)
        return super().match(request)


class WebhookReceiver(app.ApiEmulator):
    name = "webhooks"
    hosts = (HOST, SLACK_HOST)

    def __init__(self, world: app.World) -> None:
        super().__init__(world)
        self.router = _HostRouter()
        self.router.add("POST", "/{path:path}", "webhooks.receive", self._receive)
        self.router.slack.add("POST", "/{path:path}", "webhooks.slack", self._receive)
        self.deliveries: list[dict[str, Any]] = []

    def _receive(self, request: app.Request) -> app.Response:
        self.deliveries.append(
            {
                "host": request.host,
                "path": request.path,
                "headers": dict(request.headers),
                "body": request.body.decode("utf-8", errors="replace"),
                "time": time.time(),
            }
        )
        if request.host == SLACK_HOST:
            return app.Response.text("ok")
        return app.Response.json({"ok": True})

    def received(self) -> list[dict[str, Any]]:
        """Every delivery so far, oldest first (copies)."""
        return [dict(delivery) for delivery in self.deliveries]
