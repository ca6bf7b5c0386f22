"""Project environment variables: which names exist for an environment, and upserting ours.

``${NAME}``-mapped (secret) values are stored as ``sensitive`` - the action's decision (vercel.md,
"For the action"): what the CLI itself now defaults to, and unreadable afterwards. Literals are
``plain``. Each variable targets only the deploy's environment (``sensitive`` cannot target
``development``, which we never use). ``upsert=true`` replaces a key's value for that target and
leaves every other key alone. Values never appear in a message: errors name the key only.
"""

from __future__ import annotations

import logging
from typing import Any

from ci_deploy.errors import PlatformError
from ci_deploy.platforms.base import Environment, EnvVar
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")


def env_body(variables: list[EnvVar], environment: Environment) -> list[dict[str, Any]]:
    """Pure: the ``POST /v10/projects/{id}/env?upsert=true`` array."""
    return [
        {
            "key": var.name,
            "value": var.value,
            "type": "sensitive" if var.secret else "plain",
            "target": [environment],
        }
        for var in variables
    ]


def _targets(item: dict[str, Any]) -> set[str]:
    target = item.get("target")
    if isinstance(target, str):
        return {target}
    return {str(t) for t in target} if isinstance(target, list) else set()


def names_for(envs: list[Any], environment: Environment) -> set[str]:
    """Pure: keys of listed variables that apply to ``environment``."""
    return {
        str(item["key"])
        for item in envs
        if isinstance(item, dict) and item.get("key") and environment in _targets(item)
    }


def existing_env_names(api: VercelApi, project_id: str, environment: Environment) -> set[str]:
    """Names set on the project for ``environment`` (``GET /v10/projects/{id}/env``, every page)."""
    names: set[str] = set()
    params: dict[str, str] = {}
    while True:
        try:
            body = api.call("GET", f"/v10/projects/{project_id}/env", params=params)
        except VercelApiError as exc:
            raise exc.during("read the project's environment variables") from exc
        envs = body.get("envs") if isinstance(body, dict) else None
        names |= names_for(envs or [], environment)
        pagination = body.get("pagination") if isinstance(body, dict) else None
        following = pagination.get("next") if isinstance(pagination, dict) else None
        if not envs or not following or params.get("until") == str(following):
            return names
        params = {"until": str(following)}


def failed_keys(body: Any) -> list[str]:
    """Pure: ``KEY (code: message)`` for each entry of a 201 answer's ``failed`` list."""
    failed = body.get("failed") if isinstance(body, dict) else None
    out = []
    for item in failed or []:
        error = item.get("error") if isinstance(item, dict) else None
        if isinstance(error, dict):
            out.append(f"{error.get('key', '?')} ({error.get('code', 'error')}: {error.get('message', '')})")
    return out


def set_env_vars(api: VercelApi, project_id: str, variables: list[EnvVar], environment: Environment) -> None:
    """Upsert ``variables`` for ``environment`` in one call; raise naming the keys that failed."""
    if not variables:
        return
    log.info(
        "setting %d env var(s) for %s: %s", len(variables), environment, ", ".join(v.name for v in variables)
    )
    try:
        body = api.call(
            "POST",
            f"/v10/projects/{project_id}/env",
            params={"upsert": "true"},
            json=env_body(variables, environment),
        )
    except VercelApiError as exc:
        raise exc.during(f"set the {environment} environment variables") from exc
    failed = failed_keys(body)
    if failed:
        raise PlatformError(f"Vercel did not set these env vars: {'; '.join(failed)}", input_name="env")
