"""A deployment's build output: the NDJSON build log ``vercel deploy`` streams, and the builds
``vercel inspect`` lists."""

from __future__ import annotations

import json
from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import Scope
from ci_deploy_sandbox.vercel_lifecycle import Lifecycle

Handler = Callable[[app.Request, Scope], app.Response]


class Builds:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.ctx = lifecycle.ctx

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("GET", "/v3/deployments/{id}/events", "vercel.deployments.events", self.events),
            ("GET", "/v3/now/deployments/{id}/events", "vercel.deployments.events", self.events),
            ("GET", "/v11/deployments/{id}/builds", "vercel.deployments.builds", self.builds),
        ]

    def events(self, request: app.Request, scope: Scope) -> app.Response:
        """The build log as NDJSON. ``follow=1`` returns what exists so far and closes: the CLI
        polls the deployment in parallel and tolerates a stream that ends."""
        deployment = self.lifecycle.find(scope, request.params["id"])
        now = self.ctx.now_ms()
        lines = []
        for serial, event in enumerate(deployment["_events"]):
            if event["created"] > now:
                continue
            payload = {
                "deploymentId": deployment["id"],
                "id": f"{deployment['id']}-{serial}",
                "date": event["created"],
                "serial": str(serial),
                "text": event["text"],
                "created": event["created"],
            }
            lines.append({"type": event["type"], **payload, "payload": payload})
        if deployment.get("aliasAssigned"):
            lines.append({"type": "alias-assigned", "deploymentId": deployment["id"], "created": now})
        if request.arg("direction") == "backward":
            lines.reverse()
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        return app.Response.text(text, content_type="application/x-ndjson; charset=utf-8")

    def builds(self, request: app.Request, scope: Scope) -> app.Response:
        deployment = self.lifecycle.find(scope, request.params["id"])
        state = self.lifecycle.ready_state(deployment)
        build = {
            "id": "bld_" + deployment["id"][4:],
            "deploymentId": deployment["id"],
            "entrypoint": ".",
            "use": "@vercel/static",
            "readyState": state,
            "readyStateAt": deployment.get("ready") or deployment["createdAt"],
            "createdAt": deployment["createdAt"],
            "createdIn": "iad1",
            "output": [
                {"path": path, "digest": sha, "type": "file"} for path, sha in deployment["_files"].items()
            ],
        }
        return app.Response.json({"builds": [build]})
