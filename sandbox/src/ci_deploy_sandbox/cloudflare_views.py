"""JSON views of projects and deployments, shaped like the Pages API's (spec 1.10).

Stages are derived from the clock: a deployment spends ``cloudflare.deploy_delay_ms`` going
through queued -> initialize -> clone_repo -> build -> deploy (a fifth each), then its deploy
stage is ``success`` — or ``failure`` when it was created while ``cloudflare.fail_next_builds``
was armed. wrangler stops polling as soon as the stage *name* is ``deploy``, so a long delay
reproduces its "couldn't ascertain the final status" message.
"""

from __future__ import annotations

from typing import Any

from ci_deploy_sandbox.cloudflare_common import JsonDict, iso
from ci_deploy_sandbox.cloudflare_context import Context, public_env_vars
from ci_deploy_sandbox.cloudflare_state import Deployment, Project

STAGE_NAMES = ("queued", "initialize", "clone_repo", "build", "deploy")

BUILD_CONFIG: JsonDict = {
    "build_caching": None,
    "build_command": None,
    "destination_dir": None,
    "root_dir": None,
    "web_analytics_tag": None,
    "web_analytics_token": None,
}


def stages(deployment: Deployment, now: float) -> list[JsonDict]:
    span = max(0.0, deployment.ready_at - deployment.created_at)
    shown = []
    for index, name in enumerate(STAGE_NAMES):
        start = deployment.created_at + span * index / len(STAGE_NAMES)
        end = deployment.created_at + span * (index + 1) / len(STAGE_NAMES)
        if index == len(STAGE_NAMES) - 1:
            end = deployment.ready_at
        if now >= end:
            failed = deployment.fails and name == "deploy"
            status, started, ended = ("failure" if failed else "success"), iso(start), iso(end)
        elif now >= start:
            status, started, ended = "active", iso(start), None
        else:
            status, started, ended = "idle", None, None
        shown.append({"name": name, "status": status, "started_on": started, "ended_on": ended})
    return shown


def latest_stage(all_stages: list[JsonDict]) -> JsonDict:
    started = [stage for stage in all_stages if stage["status"] != "idle"]
    return started[-1] if started else all_stages[0]


def deployment_json(ctx: Context, project: Project, deployment: Deployment) -> JsonDict:
    now = ctx.now()
    all_stages = stages(deployment, now)
    return {
        "id": deployment.id,
        "short_id": deployment.short_id,
        "project_id": project.id,
        "project_name": project.name,
        "environment": deployment.environment,
        "url": ctx.url(f"{deployment.short_id}.{project.subdomain}"),
        "created_on": iso(deployment.created_at),
        "modified_on": iso(min(now, deployment.ready_at)),
        "aliases": aliases(ctx, project, deployment, now),
        "latest_stage": latest_stage(all_stages),
        "stages": all_stages,
        "deployment_trigger": {
            "type": "ad_hoc",
            "metadata": {
                "branch": deployment.branch,
                "commit_hash": deployment.commit_hash,
                "commit_message": deployment.commit_message,
                "commit_dirty": deployment.commit_dirty,
            },
        },
        "build_config": BUILD_CONFIG,
        "env_vars": public_env_vars(deployment.env_vars),
        "is_skipped": False,
        "production_branch": deployment.production_branch,
        "uses_functions": deployment.uses_functions,
    }


def aliases(ctx: Context, project: Project, deployment: Deployment, now: float) -> list[str] | None:
    """A preview's branch alias URL; for the live production deployment its active custom
    domains (production has no alias of its own), else null."""
    if deployment.label:
        return [ctx.url(f"{deployment.label}.{project.subdomain}")]
    canonical = project.canonical(now)
    if canonical is None or canonical.id != deployment.id:
        return None
    active = [ctx.url(domain.name) for domain in project.domains.values() if domain.status == "active"]
    return active or None


def default_config(compatibility_date: str) -> JsonDict:
    """A ``deployment_configs`` entry as a new project gets it. Both entries are always present:
    wrangler dereferences ``deployment_configs[env]`` and crashes without them."""
    empty: dict[str, Any] = {}
    return {
        "env_vars": {},
        "compatibility_date": compatibility_date,
        "compatibility_flags": [],
        "fail_open": True,
        "always_use_latest_compatibility_date": False,
        "build_image_major_version": 3,
        "usage_model": "standard",
        **{
            binding: dict(empty)
            for binding in (
                "kv_namespaces",
                "d1_databases",
                "r2_buckets",
                "durable_object_namespaces",
                "services",
                "queue_producers",
                "analytics_engine_datasets",
            )
        },
    }


def project_json(ctx: Context, project: Project) -> JsonDict:
    now = ctx.now()
    latest = next(reversed(project.deployments.values()), None)
    canonical = project.canonical(now)
    return {
        "id": project.id,
        "name": project.name,
        "subdomain": project.subdomain,
        "domains": [project.subdomain, *sorted(project.domains)],
        "production_branch": project.production_branch,
        "created_on": iso(project.created_at),
        "source": None,
        "build_config": BUILD_CONFIG,
        "deployment_configs": {
            env: {**config, "env_vars": public_env_vars(config.get("env_vars") or {})}
            for env, config in project.deployment_configs.items()
        },
        "latest_deployment": deployment_json(ctx, project, latest) if latest else None,
        "canonical_deployment": deployment_json(ctx, project, canonical) if canonical else None,
        "production_script_name": f"pages-worker--{project.id[:7]}-production",
        "preview_script_name": f"pages-worker--{project.id[:7]}-preview",
        "uses_functions": None,
    }
