"""Platform adapters behind one protocol (:class:`ci_deploy.platforms.base.Platform`), and the one
registry that says which platforms exist and what each needs from the rest of the program.

Each adapter subpackage declares a :class:`PlatformSpec` in its ``__init__``: the platform's usual
environment variables (read when an input is empty), the inputs only it reads, and its pure rules
(branch slugs, limits) that planning needs before any connection. The heavy adapter module is
imported only when a run opens the platform, so ``--help`` and the other platform stay cheap.
Nothing outside this package asks which platform it has.
"""

from __future__ import annotations

from ci_deploy.platforms.base import Platform, PlatformSettings, PlatformSpec
from ci_deploy.platforms.cloudflare_pages import SPEC as CLOUDFLARE_PAGES
from ci_deploy.platforms.vercel import SPEC as VERCEL

#: every platform by its ``platform`` input value, in the order errors list them
PLATFORMS: dict[str, PlatformSpec] = {spec.name: spec for spec in (CLOUDFLARE_PAGES, VERCEL)}


def platform_spec(name: str) -> PlatformSpec:
    """The registered platform ``name``; the caller has validated it against :data:`PLATFORMS`."""
    return PLATFORMS[name]


def open_platform(name: str, settings: PlatformSettings) -> Platform:
    """The adapter for ``name``, connected to nothing yet."""
    return PLATFORMS[name].open(settings)
