"""Project environment variables: create (one or many, ``upsert``), list with secret values
hidden, read one decrypted, edit, delete; and the snapshot a deployment takes at creation."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import (
    Context,
    JsonDict,
    Scope,
    VercelErrorReply,
    body_json,
    body_object,
    new_id,
    not_found,
)
from ci_deploy_sandbox.vercel_projects import Projects

Handler = Callable[[app.Request, Scope], app.Response]

TYPES = ("system", "secret", "encrypted", "plain", "sensitive")
TARGETS = ("production", "preview", "development")


def snapshot_env(project: JsonDict, target: str | None, body: JsonDict) -> dict[str, str]:
    """What a deployment sees: the project's variables for its target (preview when none), then
    the create body's ``env`` and ``build.env`` on top."""
    wanted = target if target in TARGETS else "preview"
    values = {e["key"]: e["value"] for e in project["_env"] if wanted in e["target"]}
    for extra in (body.get("env"), (body.get("build") or {}).get("env")):
        if isinstance(extra, dict):
            values.update({str(k): str(v) for k, v in extra.items()})
    return values


def _shown(record: JsonDict, decrypt: bool) -> JsonDict:
    """A variable as the API returns it: ``sensitive`` values never, ``encrypted``/``secret``
    only when decrypted (otherwise an opaque string)."""
    # a variable for every branch has no ``gitBranch`` at all (the API types it a string)
    shown = {k: v for k, v in record.items() if k != "value" and not (k == "gitBranch" and v is None)}
    if record["type"] == "sensitive":
        return {**shown, "value": ""}
    if record["type"] in ("encrypted", "secret") and not decrypt:
        return {**shown, "value": base64.b64encode(b"sandbox:" + record["value"].encode()).decode()}
    return {**shown, "value": record["value"], "decrypted": record["type"] != "plain" and decrypt}


class EnvVars:
    def __init__(self, ctx: Context, projects: Projects) -> None:
        self.ctx = ctx
        self.projects = projects

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("POST", "/v10/projects/{project}/env", "vercel.env.create", self.create),
            ("GET", "/v10/projects/{project}/env", "vercel.env.list", self.list),
            ("GET", "/v9/projects/{project}/env", "vercel.env.list", self.list),
            ("GET", "/v1/projects/{project}/env/{env}", "vercel.env.get", self.get),
            ("PATCH", "/v9/projects/{project}/env/{env}", "vercel.env.edit", self.edit),
            ("DELETE", "/v9/projects/{project}/env/{env}", "vercel.env.delete", self.delete),
            ("DELETE", "/v10/projects/{project}/env/{env}", "vercel.env.delete", self.delete),
            ("GET", "/v3/env/pull/{project}/{target}", "vercel.env.pull", self.pull),
            ("GET", "/v3/env/pull/{project}/{target}/{branch}", "vercel.env.pull", self.pull),
        ]

    def create(self, request: app.Request, scope: Scope) -> app.Response:
        """201 ``{created, failed}``. A key already set for one of the targets (and git branch)
        fails with ``ENV_ALREADY_EXISTS`` unless ``upsert=true``, which replaces it."""
        project = self.projects.get_record(scope, request.params["project"])
        payload = body_json(request)
        items = payload if isinstance(payload, list) else [payload]
        upsert = request.arg("upsert") == "true"
        created: list[JsonDict] = []
        failed: list[JsonDict] = []
        for item in items:
            try:
                created.append(_shown(self._put(project, item, upsert), decrypt=False))
            except VercelErrorReply as error:
                key = item.get("key") if isinstance(item, dict) else None
                failed.append({"error": {"code": error.code, "message": error.message, "key": key}})
        if not created:
            first = failed[0]["error"] if failed else {"code": "bad_request", "message": "No variables"}
            raise VercelErrorReply(400, first["code"], first["message"], key=first.get("key"))
        result = created if isinstance(payload, list) else created[0]
        return app.Response.json({"created": result, "failed": failed}, 201)

    def _put(self, project: JsonDict, item: Any, upsert: bool) -> JsonDict:
        fields = _validated(item)
        clash = [
            e
            for e in project["_env"]
            if e["key"] == fields["key"]
            and set(e["target"]) & set(fields["target"])
            and e.get("gitBranch") == fields.get("gitBranch")
        ]
        if clash and not upsert:
            raise VercelErrorReply(
                400,
                "ENV_ALREADY_EXISTS",
                f'A variable with the name "{fields["key"]}" already exists for the target '
                f"{', '.join(clash[0]['target'])}",
            )
        now = self.ctx.now_ms()
        if clash:
            existing: JsonDict = clash[0]
            existing.update(fields, updatedAt=now)
            return existing
        record = {"id": new_id("", 16), **fields, "createdAt": now, "updatedAt": now, "configurationId": None}
        project["_env"].append(record)
        return record

    def list(self, request: app.Request, scope: Scope) -> app.Response:
        project = self.projects.get_record(scope, request.params["project"])
        decrypt = request.arg("decrypt") == "true"
        envs = [_shown(e, decrypt) for e in project["_env"]]
        return app.Response.json(
            {"envs": envs, "pagination": {"count": len(envs), "next": None, "prev": None}}
        )

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        return app.Response.json(_shown(self._find(scope, request), decrypt=True))

    def edit(self, request: app.Request, scope: Scope) -> app.Response:
        record = self._find(scope, request)
        changes = body_object(request)
        merged = _validated({**record, **changes})
        record.update(merged, updatedAt=self.ctx.now_ms())
        return app.Response.json(_shown(record, decrypt=False))

    def delete(self, request: app.Request, scope: Scope) -> app.Response:
        project = self.projects.get_record(scope, request.params["project"])
        record = self._find(scope, request)
        project["_env"].remove(record)
        return app.Response.json(_shown(record, decrypt=False))

    def pull(self, request: app.Request, scope: Scope) -> app.Response:
        """``vercel env pull`` (and ``vercel link``): ``{env: {KEY: value}}`` for one target,
        branch-specific values over the others, ``sensitive`` values as "". No OIDC token: the
        sandbox is no OIDC issuer, like a project with OIDC federation turned off."""
        project = self.projects.get_record(scope, request.params["project"])
        target, branch = request.params["target"], request.params.get("branch")
        if target not in TARGETS:
            raise not_found("Environment", "not_found")
        records: list[JsonDict] = project["_env"]
        chosen = [e for e in records if target in e["target"] and e.get("gitBranch") in (None, branch)]
        chosen.sort(key=lambda e: e.get("gitBranch") is not None)
        env = {e["key"]: "" if e["type"] == "sensitive" else e["value"] for e in chosen}
        return app.Response.json({"env": env})

    def _find(self, scope: Scope, request: app.Request) -> JsonDict:
        project = self.projects.get_record(scope, request.params["project"])
        records: list[JsonDict] = project["_env"]
        for record in records:
            if record["id"] == request.params["env"]:
                return record
        raise not_found("Environment variable", "env_not_found")


def _validated(item: Any) -> JsonDict:
    if not isinstance(item, dict):
        raise VercelErrorReply(400, "bad_request", "Each variable must be an object")
    key, value, kind = item.get("key"), item.get("value"), item.get("type", "encrypted")
    if not isinstance(key, str) or not key or not isinstance(value, str):
        raise VercelErrorReply(400, "bad_request", "A variable needs a string `key` and `value`")
    if kind not in TYPES:
        raise VercelErrorReply(400, "bad_request", f"Invalid type {kind!r}: one of {', '.join(TYPES)}")
    target = item.get("target") or []
    target = [target] if isinstance(target, str) else target
    if not target or any(t not in TARGETS for t in target):
        raise VercelErrorReply(400, "bad_request", f"`target` must be a subset of {', '.join(TARGETS)}")
    if kind == "sensitive" and "development" in target:
        raise VercelErrorReply(400, "bad_request", "Sensitive variables cannot target development")
    fields = {"key": key, "value": value, "type": kind, "target": sorted(set(target))}
    return {**fields, "gitBranch": item.get("gitBranch"), "comment": item.get("comment", "")}
