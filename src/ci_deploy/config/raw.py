"""The inputs as raw strings, before validation: every input present, trimmed, the platform
lower-cased, and an empty input filled from the platform's usual environment variable (or the
common ones). Shared by :mod:`ci_deploy.config.settings` and :mod:`ci_deploy.head_start`, which
needs the token and project before the validating model is even imported."""

from __future__ import annotations

from collections.abc import Mapping

from ci_deploy.config.inputs import INPUTS
from ci_deploy.platforms import PLATFORMS

#: the env var read when an input is empty, whatever the platform
COMMON_FALLBACKS = {
    "github-token": "GITHUB_TOKEN",
    "sentry-token": "SENTRY_AUTH_TOKEN",
    "sentry-org": "SENTRY_ORG",
    "sentry-project": "SENTRY_PROJECT",
    "sentry-url": "SENTRY_URL",
}


def raw_inputs(inputs: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """Every known input as a trimmed string; the platform's fallbacks apply only when the
    platform is one we know (an unknown one is reported by the caller's validation)."""
    raw = {name: (inputs.get(name) or "").strip() for name in INPUTS}
    raw["platform"] = raw["platform"].lower()
    spec = PLATFORMS.get(raw["platform"])
    fallbacks = {**(spec.env_fallbacks if spec is not None else {}), **COMMON_FALLBACKS}
    for name, variable in fallbacks.items():
        if not raw.get(name):
            raw[name] = environ.get(variable, "").strip()
    return raw
