"""Every input's parser of its raw string, by field name: what :class:`~ci_deploy.config.settings.Settings`
runs on each value, kept free of the model so a check can run before the model is even imported
(:func:`first_invalid`, used by :mod:`ci_deploy.head_start`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from ci_deploy.config import observe
from ci_deploy.config import values as parse
from ci_deploy.errors import InputError

#: field -> parser of its raw string (fields not listed are plain strings)
PARSERS: dict[str, Callable[[str], Any]] = {
    "create_project": parse.parse_bool,
    "comment": parse.parse_bool,
    "github_deployment": parse.parse_bool,
    "wait": parse.parse_bool,
    "cleanup": parse.parse_bool,
    "dry_run": parse.parse_bool,
    "environment": lambda raw: parse.parse_choice(raw, ("auto", "preview", "production")),
    "on_health_failure": lambda raw: parse.parse_choice(raw, ("rollback", "fail", "warn")),
    "command": lambda raw: parse.parse_choice(raw, ("deploy", "cleanup", "promote", "rollback")),
    "timeout": parse.parse_seconds,
    "domains_timeout": parse.parse_seconds,
    "health_check_timeout": parse.parse_seconds,
    "health_check_max_latency_ms": parse.parse_milliseconds,
    "pr_number": parse.parse_positive_int,
    "domains": parse.parse_domains,
    "health_check": parse.parse_health_checks,
    "health_check_expect": parse.parse_health_expect,
    "health_check_headers": parse.parse_headers,
    "env_required": parse.parse_env_required,
    "api_url": parse.parse_url,
    "project": lambda raw: parse.parse_name(raw, "a project name (letters, digits, '.', '_', '-')"),
    "branch": parse.parse_branch,
    "production_branch": parse.parse_branch,
    "preview_domain": lambda raw: parse.parse_host_template(raw, "preview-domain"),
    "comment_key": lambda raw: parse.parse_single_line(raw, forbidden="--"),
    "github_environment": lambda raw: parse.parse_single_line(raw, max_length=255),
    "account": lambda raw: parse.parse_identifier(raw, "an account or team id"),
    "deployment_id": lambda raw: parse.parse_identifier(raw, "a deployment id"),
    "perf_budget_ms": parse.parse_milliseconds,
    "sentry_org": observe.parse_slug,
    "sentry_project": observe.parse_slug,
    "sentry_url": parse.parse_url,
    "sentry_release_prefix": observe.parse_release_prefix,
    "error_watch": observe.parse_duration,
    "error_watch_threshold": observe.parse_watch_threshold,
    "notify_webhook": observe.parse_secret_url,
    "notify_slack_webhook": observe.parse_secret_url,
}


def first_invalid(raw: Mapping[str, str]) -> str | None:
    """The first input (kebab name) whose non-empty raw value its parser refuses, or whose
    combination with others the model refuses (the observability inputs), or None."""
    parsed: dict[str, Any] = {}
    for name, value in raw.items():
        field = name.replace("-", "_")
        parser = PARSERS.get(field)
        try:
            parsed[field] = parser(value) if parser is not None and value else value or None
        except (parse.InvalidValue, InputError, ValueError):
            return name
    problem = observe.observe_problem(SimpleNamespace(**parsed))
    return None if problem is None else problem[0]
