"""The Vercel adapter: SHA-1 file uploads, deployments, aliases, env vars, domains,
promote/rollback. :data:`SPEC` is what the rest of the program knows of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ci_deploy.connect.model import ConnectSpec
from ci_deploy.platforms.base import PlatformSpec

if TYPE_CHECKING:
    from ci_deploy.artifact import Artifact
    from ci_deploy.connect.device_flow import Clock
    from ci_deploy.connect.model import Connector, TokenMinter
    from ci_deploy.first_reads import FirstRead
    from ci_deploy.platforms.base import Environment, Platform, PlatformSettings


def _slug_branch(branch: str) -> str:
    from ci_deploy.platforms.vercel.urls import slug_branch

    return slug_branch(branch)


def _check_limits(artifact: Artifact, environment: Environment) -> None:
    from ci_deploy.platforms.vercel import files

    layout = files.detect_layout(artifact)
    files.check_prebuilt(layout, environment)
    files.check_limits(layout, artifact.label)


def _open(settings: PlatformSettings) -> Platform:
    from ci_deploy.platforms.vercel.adapter import Vercel

    return Vercel(settings)


def _first_reads(raw: Mapping[str, str]) -> Sequence[FirstRead]:
    from ci_deploy.platforms.vercel.endpoints import first_reads

    return first_reads(raw)


def _connector(token: str, api_url: str | None) -> Connector:
    from ci_deploy.platforms.vercel.connect import VercelConnector

    return VercelConnector(token, api_url)


def _device_login(client_id: str, api_url: str | None, clock: Clock | None) -> str:
    from ci_deploy.platforms.vercel.login import device_login

    return device_login(client_id, api_url, clock)


def _ci_token(token: str, api_url: str | None) -> TokenMinter:
    from ci_deploy.platforms.vercel.ci_token import VercelTokenMinter

    return VercelTokenMinter(token, api_url)


SPEC = PlatformSpec(
    name="vercel",
    env_fallbacks={
        "token": "VERCEL_TOKEN",
        "account": "VERCEL_ORG_ID",
        "project": "VERCEL_PROJECT_ID",
        "api-url": "VERCEL_API_URL",
    },
    own_inputs=("vercel-protection-bypass",),
    slug_branch=_slug_branch,
    check_limits=_check_limits,
    open=_open,
    connect=ConnectSpec(
        "VERCEL_TOKEN",
        "VERCEL_ORG_ID",
        _connector,
        "team",
        device_login=_device_login,
        client_id_variable="CI_DEPLOY_VERCEL_CLIENT_ID",
        ci_token=_ci_token,
    ),
    first_reads=_first_reads,
)
