"""Emulated GitHub Actions secrets and variables, for a repository and for its environments.

As on GitHub, a secret is written sealed (libsodium ``crypto_box_seal``) to the repository's
public key (``GET …/secrets/public-key``, one key pair per repository; environments have their
own) and is never readable again through the API; the sandbox keeps the private key so tests can
open what a client wrote (:func:`read_secret`). ``PUT`` of a secret answers 201 when new and 204
when updated; a variable is created with ``POST`` (409 if it exists) and changed with ``PATCH``.
An environment exists once ``PUT /environments/{name}`` created it; its secrets and variables
404 before that. PyNaCl supplies the sealed box.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from urllib.parse import quote

from ci_deploy_sandbox import app
from ci_deploy_sandbox.github_common import (
    Context,
    GitHubErrorReply,
    JsonDict,
    Store,
    invalid,
    not_found,
    now,
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

ContextHandler = Callable[[Context], app.Response]


def _payload(ctx: Context) -> JsonDict:
    try:
        payload = ctx.request.json()
    except ValueError as exc:
        raise GitHubErrorReply(400, "Problems parsing JSON") from exc
    if not isinstance(payload, dict):
        raise GitHubErrorReply(400, "Problems parsing JSON")
    return payload


def _holder(ctx: Context) -> JsonDict:
    """Where the addressed secrets and variables live: the repository, or one of its
    environments (404 until it was created)."""
    actions: JsonDict = ctx.repo.setdefault("actions", {"environments": {}})
    environment = ctx.request.params.get("environment")
    if environment is None:
        return actions
    found: JsonDict | None = actions["environments"].get(environment.lower())
    if found is None:
        raise not_found()
    return found


def _key_pair(holder: JsonDict, store: Store) -> JsonDict:
    """The holder's key pair, made on first use: ``{key_id, public, private}`` (base64)."""
    if "key" not in holder:
        from nacl.public import PrivateKey

        private = PrivateKey.generate()
        holder["key"] = {
            "key_id": str(568250167242549743 + store.new_id()),
            "public": base64.b64encode(bytes(private.public_key)).decode(),
            "private": base64.b64encode(bytes(private)).decode(),
        }
    key: JsonDict = holder["key"]
    return key


def _checked_name(name: str, resource: str) -> str:
    if not _NAME.match(name) or name.upper().startswith("GITHUB_"):
        raise invalid(resource, "name", "custom", f"{resource} name {name!r} is not valid")
    return name.upper()


def put_environment(ctx: Context) -> app.Response:
    name = ctx.request.params["environment"]
    actions: JsonDict = ctx.repo.setdefault("actions", {"environments": {}})
    environment = actions["environments"].setdefault(
        name.lower(), {"id": ctx.store.new_id(), "name": name, "created_at": now()}
    )
    environment["updated_at"] = now()
    view = {k: environment[k] for k in ("id", "name", "created_at", "updated_at")}
    links = {
        "node_id": f"EN_{environment['id']}",
        "url": f"{ctx.api_base}/environments/{quote(environment['name'], safe='')}",
        "html_url": f"{ctx.request.origin}/{ctx.repo['full_name']}/deployments/activity_log"
        f"?environments_filter={quote(environment['name'], safe='')}",
    }
    return app.Response.json({**view, **links, "protection_rules": [], "deployment_branch_policy": None})


def public_key(ctx: Context) -> app.Response:
    key = _key_pair(_holder(ctx), ctx.store)
    return app.Response.json({"key_id": key["key_id"], "key": key["public"]})


def put_secret(ctx: Context) -> app.Response:
    holder = _holder(ctx)
    name = _checked_name(ctx.request.params["name"], "Secret")
    body = _payload(ctx)
    key = _key_pair(holder, ctx.store)
    if body.get("key_id") != key["key_id"]:
        raise invalid("Secret", "key_id", "custom", "key_id does not match the current public key")
    sealed = body.get("encrypted_value")
    if not isinstance(sealed, str) or not _opens(sealed, key):
        raise invalid("Secret", "encrypted_value", "custom", "encrypted_value could not be decrypted")
    secrets: dict[str, JsonDict] = holder.setdefault("secrets", {})
    existing = secrets.get(name)
    stamp = now()
    created = existing["created_at"] if existing else stamp
    secrets[name] = {"name": name, "created_at": created, "updated_at": stamp, "sealed": sealed}
    return app.Response.json({}, 201) if existing is None else app.Response(204)


def get_secret(ctx: Context) -> app.Response:
    found = _holder(ctx).get("secrets", {}).get(ctx.request.params["name"].upper())
    if found is None:
        raise not_found()
    return app.Response.json({k: found[k] for k in ("name", "created_at", "updated_at")})


def create_variable(ctx: Context) -> app.Response:
    holder = _holder(ctx)
    body = _payload(ctx)
    name = _checked_name(str(body.get("name", "")), "Variable")
    value = body.get("value")
    if not isinstance(value, str):
        raise invalid("Variable", "value", "missing_field")
    variables: dict[str, JsonDict] = holder.setdefault("variables", {})
    if name in variables:
        raise GitHubErrorReply(409, "Already exists - Variable already exists")
    stamp = now()
    variables[name] = {"name": name, "value": value, "created_at": stamp, "updated_at": stamp}
    return app.Response.json({}, 201)


def get_variable(ctx: Context) -> app.Response:
    found = _holder(ctx).get("variables", {}).get(ctx.request.params["name"].upper())
    if found is None:
        raise not_found()
    return app.Response.json(found)


def update_variable(ctx: Context) -> app.Response:
    found = _holder(ctx).get("variables", {}).get(ctx.request.params["name"].upper())
    if found is None:
        raise not_found()
    value = _payload(ctx).get("value")
    if not isinstance(value, str):
        raise invalid("Variable", "value", "missing_field")
    found.update(value=value, updated_at=now())
    return app.Response(204)


def _opens(sealed: str, key: JsonDict) -> bool:
    try:
        _open(sealed, key)
    except (ValueError, binascii.Error):
        return False
    return True


def _open(sealed: str, key: JsonDict) -> str:
    from nacl.exceptions import CryptoError
    from nacl.public import PrivateKey, SealedBox

    box = SealedBox(PrivateKey(base64.b64decode(key["private"])))
    try:
        return box.decrypt(base64.b64decode(sealed, validate=True)).decode("utf-8")
    except CryptoError as exc:
        raise ValueError(str(exc)) from exc


def _stored(store: Store, repository: str, environment: str | None) -> JsonDict:
    actions: JsonDict = store.repo(repository).get("actions", {"environments": {}})
    if environment is None:
        return actions
    found: JsonDict = actions["environments"].get(environment.lower(), {})
    return found


def read_secret(store: Store, repository: str, name: str, environment: str | None = None) -> str | None:
    """The plain value of a stored secret, opened with the sandbox's private key (tests only:
    the API itself never reveals it)."""
    holder = _stored(store, repository, environment)
    found = holder.get("secrets", {}).get(name.upper())
    return None if found is None else _open(found["sealed"], holder["key"])


def read_variables(store: Store, repository: str, environment: str | None = None) -> dict[str, str]:
    """Every stored variable's name and value (for assertions)."""
    variables = _stored(store, repository, environment).get("variables", {})
    return {name: item["value"] for name, item in variables.items()}


def secret_names(store: Store, repository: str, environment: str | None = None) -> list[str]:
    return sorted(_stored(store, repository, environment).get("secrets", {}))


_ENV = "/environments/{environment}"

Route = tuple[str, str, str, ContextHandler, str, str]


def _routes() -> list[Route]:
    """The repository's and each environment's secret and variable routes. Repository secrets
    need the ``secrets`` permission, variables ``variables``; an environment's both need
    ``environments``; creating an environment needs ``administration``."""
    routes: list[Route] = [
        ("PUT", _ENV, "github.environments.put", put_environment, "administration", "write")
    ]
    for prefix, kind, secrets, variables in (
        ("/actions", "repo", "secrets", "variables"),
        (_ENV, "environment", "environments", "environments"),
    ):
        secret, variable = f"{prefix}/secrets/{{name}}", f"{prefix}/variables/{{name}}"
        s_name, v_name = f"github.secrets.{kind}", f"github.variables.{kind}"
        routes += [
            ("GET", f"{prefix}/secrets/public-key", f"{s_name}_key", public_key, secrets, "read"),
            ("GET", secret, f"{s_name}_get", get_secret, secrets, "read"),
            ("PUT", secret, f"{s_name}_put", put_secret, secrets, "write"),
            ("POST", f"{prefix}/variables", f"{v_name}_create", create_variable, variables, "write"),
            ("GET", variable, f"{v_name}_get", get_variable, variables, "read"),
            ("PATCH", variable, f"{v_name}_update", update_variable, variables, "write"),
        ]
    return routes


#: (method, pattern under /repos/{owner}/{repo}, endpoint, handler, permission scope, level)
ROUTES = _routes()
