"""Platform adapters behind one protocol (:class:`ci_deploy.platforms.base.Platform`)."""

from __future__ import annotations

from ci_deploy.platforms.base import Platform, PlatformSettings

PLATFORMS = ("cloudflare-pages", "vercel")


def open_platform(name: str, settings: PlatformSettings) -> Platform:
    """The adapter for ``name``; imported lazily so ``--help`` and other platforms stay cheap."""
    if name == "cloudflare-pages":
        from ci_deploy.platforms.cloudflare_pages.adapter import CloudflarePages

        return CloudflarePages(settings)
    if name == "vercel":
        from ci_deploy.platforms.vercel.adapter import Vercel

        return Vercel(settings)
    raise ValueError(f"unknown platform {name!r}")
