"""Which host serves which deployment: the deployments' own hosts and the alias table.

Every alias the emulated Vercel assigns — production (``<project>.vercel.localhost`` and the
project's verified custom domains), git-branch, and manual ``vercel alias`` ones — is a row of
one table, as on Vercel, and each row is published to the site registry so that the host opens
in curl and a browser. Moving an alias re-publishes its host with the new deployment's files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import Context, JsonDict, new_id

OUTPUT_PREFIX = ".vercel/output/"
CONFIG_PATH = OUTPUT_PREFIX + "config.json"


class Aliases:
    """The alias table and the site registry, kept in step."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def site(self, deployment: JsonDict) -> app.Site:
        """The deployment's files as the site registry serves them.

        A prebuilt deployment (Build Output API v3) keeps its ``/.vercel/output/...`` tree, which
        the Vercel serving rules recognise (static files, ``config.json`` routes, functions
        stored but not run), with the parsed ``config.json`` as :attr:`app.Site.config`. Any
        other serves the uploaded tree (below the project's output directory, when one is set).
        """
        uploaded: dict[str, str] = deployment["_files"]
        preview = deployment.get("target") != "production"
        namespace: str = deployment["_namespace"]
        if deployment.get("_prebuilt"):
            config = {}
            if CONFIG_PATH in uploaded:
                config = _parse_config(self.ctx.world.blobs.read(namespace, uploaded[CONFIG_PATH]))
            files = {"/" + path: sha for path, sha in uploaded.items() if path.startswith(OUTPUT_PREFIX)}
            return app.Site(deployment["id"], namespace, files, "vercel", config=config, protected=preview)
        output = str(deployment.get("_outputDirectory") or "").strip("/")
        prefix = f"{output}/" if output and output != "." else ""
        files = {"/" + path[len(prefix) :]: sha for path, sha in uploaded.items() if path.startswith(prefix)}
        return app.Site(deployment["id"], namespace, files, "vercel", protected=preview)

    def publish_deployment(self, deployment: JsonDict) -> None:
        self.ctx.world.sites.publish(deployment["_host"], self.site(deployment))

    def assign(self, host: str, deployment: JsonDict, redirect: str | None = None) -> JsonDict:
        """Point ``host`` at ``deployment`` (creating or moving the alias) and serve it there."""
        host = host.lower().rstrip(".")
        old = self.ctx.store.aliases.get(host)
        record = {
            "uid": old["uid"] if old else new_id("", 24),
            "alias": host,
            "deploymentId": deployment["id"],
            "projectId": deployment["projectId"],
            "ownerId": deployment["ownerId"],
            "created": old["created"] if old else self.ctx.created_ms(),
            "updatedAt": self.ctx.now_ms(),
            "redirect": redirect,
        }
        self.ctx.store.aliases[host] = record
        self.ctx.world.sites.publish(host, self.site(deployment))
        return {**record, "oldDeploymentId": old["deploymentId"] if old else None}

    @staticmethod
    def public(record: JsonDict) -> JsonDict:
        """An alias row as the API answers it: ``created`` is an ISO 8601 date-time (the
        descriptions of getAlias, assignAlias and listDeploymentAliases say so), with the same
        instant in ``createdAt`` as milliseconds since the epoch."""
        created = datetime.fromtimestamp(record["created"] / 1000, tz=UTC)
        iso = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {**record, "created": iso, "createdAt": record["created"]}

    def remove(self, host: str) -> JsonDict | None:
        record = self.ctx.store.aliases.pop(host.lower(), None)
        if record is not None:
            self.ctx.world.sites.unpublish(record["alias"])
        return record

    def of_deployment(self, deployment_id: str) -> list[JsonDict]:
        return [a for a in self.ctx.store.aliases.values() if a["deploymentId"] == deployment_id]

    def find(self, owner_id: str, id_or_alias: str) -> JsonDict | None:
        """An alias of ``owner_id`` by its uid or its host."""
        wanted = id_or_alias.lower()
        for record in self.ctx.store.aliases.values():
            if record["ownerId"] == owner_id and wanted in (record["uid"].lower(), record["alias"]):
                return record
        return None

    def unpublish_deployment(self, deployment: JsonDict) -> None:
        """Take a deleted deployment off the air: its own host and every alias pointing at it."""
        self.ctx.world.sites.unpublish(deployment["_host"])
        for record in self.of_deployment(deployment["id"]):
            self.remove(record["alias"])

    def republish(self) -> None:
        """Serve again what a restored store says is served (after a restart)."""
        deployments = self.ctx.store.deployments
        for deployment in deployments.values():
            if deployment.get("readyState") == "READY":
                self.publish_deployment(deployment)
        for record in self.ctx.store.aliases.values():
            target = deployments.get(record["deploymentId"])
            if target is not None:
                self.ctx.world.sites.publish(record["alias"], self.site(target))


def _parse_config(data: bytes) -> JsonDict:
    """``config.json`` of a Build Output API tree; a malformed one serves with no routes."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
