"""Settings: one validated model built from action inputs, CLI flags or the platforms' env vars.

Every field is named after its input (``health-check-timeout`` -> ``health_check_timeout``) and
parsed by :mod:`ci_deploy.config.values`. A failure is one line naming the input as the user wrote
it (``input 'timeout': expected seconds, got 'soon'``) — pydantic's own report is never shown.
Every secret is registered once, before validation runs (:mod:`ci_deploy.config.secrets`), and
``${NAME}`` values of ``env`` as they are read; all are left out of ``repr``. ``env`` and
``env-file`` are parsed here like every other input, into :class:`EnvVar` values. The platforms'
usual variables come from the platform registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ci_deploy import runner
from ci_deploy.config import observe
from ci_deploy.config import values as parse
from ci_deploy.config.envvars import read_env_inputs
from ci_deploy.config.inputs import INPUTS, read_action_inputs
from ci_deploy.config.parsers import PARSERS
from ci_deploy.config.raw import raw_inputs
from ci_deploy.config.secrets import mask_secrets
from ci_deploy.config.values import HealthExpect
from ci_deploy.errors import InputError
from ci_deploy.platforms import PLATFORMS, platform_spec
from ci_deploy.platforms.base import EnvVar

__all__ = ["INPUTS", "HealthExpect", "Settings", "read_action_inputs", "settings_from_inputs"]

Platform = Literal["cloudflare-pages", "vercel"]


def _alias(field: str) -> str:
    return field.replace("_", "-")


class Settings(BaseModel):
    """Every input, typed. Optional inputs left empty are None (or their documented default)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, alias_generator=_alias, extra="forbid")

    platform: Platform
    token: str = Field(default="", repr=False)
    account: str | None = None
    project: str
    create_project: bool = True
    artifact: str = "dist"
    working_directory: str = "."
    artifact_name: str | None = None
    environment: Literal["auto", "preview", "production"] = "auto"
    production_branch: str | None = None
    branch: str | None = None
    pr_number: int | None = None
    domains: list[str] = Field(default_factory=list)
    domains_timeout: float = 30.0
    preview_domain: str | None = None
    #: ``env-file`` then ``env`` (``env`` wins), ``${NAME}`` resolved, in name order
    env: tuple[EnvVar, ...] = Field(default=(), repr=False)
    env_file: str | None = None
    env_required: Literal["auto", "none"] | tuple[str, ...] = "auto"
    github_token: str = Field(default="", repr=False)
    comment: bool = True
    comment_key: str = ""
    github_deployment: bool = True
    github_environment: str | None = None
    wait: bool = True
    timeout: float = 600.0
    health_check: list[str] = Field(default_factory=lambda: ["/"])
    health_check_expect: HealthExpect = HealthExpect()
    health_check_timeout: float = 120.0
    health_check_headers: dict[str, str] = Field(default_factory=dict)
    health_check_max_latency_ms: float | None = None
    vercel_protection_bypass: str | None = Field(default=None, repr=False)
    on_health_failure: Literal["rollback", "fail", "warn"] = "rollback"
    perf_budget_ms: float | None = None
    sentry_org: str | None = None
    sentry_project: str | None = None
    sentry_token: str = Field(default="", repr=False)
    sentry_url: str = "https://sentry.io"
    sentry_release_prefix: str = ""
    #: seconds, None when off
    error_watch: float | None = None
    error_watch_threshold: observe.WatchThreshold = observe.WatchThreshold()
    notify_webhook: str | None = Field(default=None, repr=False)
    notify_webhook_secret: str | None = Field(default=None, repr=False)
    notify_slack_webhook: str | None = Field(default=None, repr=False)
    cleanup: bool = True
    command: Literal["deploy", "cleanup", "promote", "rollback"] = "deploy"
    deployment_id: str | None = None
    dry_run: bool = False
    api_url: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _parse_raw(cls, value: Any, info: Any) -> Any:
        """Turn the raw input string into the field's type with our own one-line reasons."""
        parser = PARSERS.get(info.field_name)
        if parser is None or not isinstance(value, str):
            return value
        try:
            return parser(value)
        except parse.InvalidValue as exc:
            raise PydanticCustomError("ci_deploy_input", "{reason}", {"reason": str(exc)}) from None

    @model_validator(mode="before")
    @classmethod
    def _read_env(cls, data: Any, info: ValidationInfo) -> Any:
        """``env`` and ``env-file`` into variables; ``${NAME}`` is read from the step's env
        (the validation context's ``environ``) and masked at once."""
        if not isinstance(data, dict):
            return data
        environ = (info.context or {}).get("environ", {})
        working_directory = Path(data.get("working-directory") or ".")
        env = read_env_inputs(data.get("env"), data.get("env-file"), working_directory, environ)
        return {**data, "env": env}

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        if self.command == "promote" and not self.deployment_id:
            raise PydanticCustomError(
                "ci_deploy_input",
                "{reason}",
                {"reason": "required by command 'promote'", "input": "deployment-id"},
            )
        problem = observe.observe_problem(self)
        if problem is not None:
            name, reason = problem
            raise PydanticCustomError("ci_deploy_input", "{reason}", {"reason": reason, "input": name})
        if not self.comment_key:
            object.__setattr__(self, "comment_key", f"{self.platform}/{self.project}")
        return self

    def require_token(self) -> str:
        """The platform token, or an InputError saying where to put one."""
        if self.token:
            return self.token
        variable = platform_spec(self.platform).env_fallbacks["token"]
        if runner.current().in_actions:
            how = f"set {variable} in the step's env or pass token: ${{{{ secrets.{variable} }}}}"
        else:
            how = f"export {variable}=… or pass --token"
        raise InputError(f"no platform API token: {how}", input_name="token")

    def github_environment_for(self, environment: Literal["preview", "production"]) -> str:
        """The GitHub environment name: the input, else ``Preview`` / ``Production``."""
        return self.github_environment or environment.capitalize()


def _check_platform(raw: Mapping[str, str], platform: str) -> None:
    if not raw.get("platform"):
        raise InputError(f"required: set it to one of {', '.join(PLATFORMS)}", input_name="platform")
    if platform not in PLATFORMS:
        got = parse.shown(raw["platform"])
        raise InputError(f"expected one of {', '.join(PLATFORMS)}, got {got}", input_name="platform")


def _check_project(raw: Mapping[str, str], platform: str) -> None:
    if not raw.get("project"):
        variable = platform_spec(platform).env_fallbacks.get("project")
        hint = f" (or set {variable})" if variable else ""
        raise InputError(f"required: the {platform} project name{hint}", input_name="project")


def _first_error(exc: ValidationError) -> InputError:
    """One line for the first failure; the others follow as details (names and reasons only)."""
    lines: list[tuple[str, str]] = []
    for error in exc.errors(include_input=False, include_url=False):
        ctx = error.get("ctx") or {}
        loc = error.get("loc") or ()
        name = str(ctx.get("input") or (loc[0] if loc else "?"))
        reason = str(ctx.get("reason") or error.get("msg", "invalid"))
        lines.append((_alias(name), reason))
    name, reason = lines[0]
    details = "\n".join(f"input '{other}': {why}" for other, why in lines[1:])
    return InputError(reason, input_name=name, details=details)


def settings_from_inputs(inputs: Mapping[str, str], environ: Mapping[str, str]) -> Settings:
    """Validate ``inputs`` (kebab names; missing or empty means the default) into Settings.

    Empty inputs fall back to the platform's usual env vars (``CLOUDFLARE_API_TOKEN``, ...).
    Raises InputError (exit 2) with one line naming the input."""
    unknown = sorted(set(inputs) - set(INPUTS))
    if unknown:
        raise InputError(f"unknown input {parse.shown(unknown[0])}", input_name=unknown[0][:60])
    raw = raw_inputs(inputs, environ)
    platform = raw["platform"]
    _check_platform(raw, platform)
    mask_secrets(raw, environ)
    _check_project(raw, platform)
    _warn_foreign_inputs(raw, platform)
    given = {name: value for name, value in raw.items() if value}
    for name, spec in INPUTS.items():
        if name not in given and spec.default:
            given[name] = spec.default
    try:
        return Settings.model_validate(given, context={"environ": environ})
    except ValidationError as exc:
        raise _first_error(exc) from None


def _warn_foreign_inputs(raw: Mapping[str, str], platform: str) -> None:
    """An input that only another platform reads is ignored here: say so rather than stay silent."""
    for spec in PLATFORMS.values():
        for name in spec.own_inputs:
            if spec.name != platform and raw.get(name):
                runner.warning(f"input '{name}' only applies to {spec.name}; ignored", title="ci-deploy")
