"""The Cloudflare Pages adapter: Direct Upload (BLAKE3 hashes, check-missing, buckets),
deployments, domains, rollback. :data:`SPEC` is what the rest of the program knows of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ci_deploy.connect.model import ConnectSpec
from ci_deploy.platforms.base import PlatformSpec

if TYPE_CHECKING:
    from ci_deploy.artifact import Artifact
    from ci_deploy.connect.model import Connector
    from ci_deploy.first_reads import FirstRead
    from ci_deploy.platforms.base import Environment, Platform, PlatformSettings


def _slug_branch(branch: str) -> str:
    from ci_deploy.platforms.cloudflare_pages.model import slug_branch

    return slug_branch(branch)


def _check_limits(artifact: Artifact, environment: Environment) -> None:
    from ci_deploy.platforms.cloudflare_pages import files

    files.checked_site(artifact)


def _open(settings: PlatformSettings) -> Platform:
    from ci_deploy.platforms.cloudflare_pages.adapter import CloudflarePages

    return CloudflarePages(settings)


def _first_reads(raw: Mapping[str, str]) -> Sequence[FirstRead]:
    from ci_deploy.platforms.cloudflare_pages.early_reads import first_reads

    return first_reads(raw)


def _connector(token: str, api_url: str | None) -> Connector:
    from ci_deploy.platforms.cloudflare_pages.connect import CloudflareConnector

    return CloudflareConnector(token, api_url)


SPEC = PlatformSpec(
    name="cloudflare-pages",
    env_fallbacks={
        "token": "CLOUDFLARE_API_TOKEN",
        "account": "CLOUDFLARE_ACCOUNT_ID",
        "api-url": "CLOUDFLARE_API_BASE_URL",
    },
    own_inputs=(),
    slug_branch=_slug_branch,
    check_limits=_check_limits,
    open=_open,
    connect=ConnectSpec(
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_ACCOUNT_ID",
        _connector,
        token_only=(
            "Cloudflare has no OAuth device flow, and its browser sign-in (wrangler's, with a fixed "
            "localhost redirect) is open to no other tool and gives a short-lived token: create an API "
            "token at https://dash.cloudflare.com/profile/api-tokens and set CLOUDFLARE_API_TOKEN"
        ),
    ),
    first_reads=_first_reads,
)
