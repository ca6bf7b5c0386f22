"""``ci-deploy init PLATFORM``: write the preview and production workflows that deploy with what
``ci-deploy connect`` stored.

The workflows come from the templates in ``ci_deploy/connect/templates`` (the examples in
``examples/workflows``, with the same pinned actions and least-privilege ``permissions:``); the
platform's :class:`~ci_deploy.connect.model.ConnectSpec` fills in the secret and variable names.
Nothing is overwritten without ``--force``, and nothing is written when any file is in the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ci_deploy.connect.model import PROJECT_VARIABLE, ConnectSpec
from ci_deploy.errors import InputError

WORKFLOWS = (".github/workflows/preview.yml", ".github/workflows/production.yml")
_TRIGGERS = {
    "release": ("  release:\n    types: [published]", "publishing a release"),
    "main": ("  push:\n    branches: [main]", "every push to main"),
}


@dataclass(frozen=True)
class InitOptions:
    platform: str
    directory: Path = Path()
    build: str = "npm ci && npm run build"
    output: str = "dist"
    environment: str = "production"
    production_on: str = "release"
    force: bool = False


def step_inputs(platform: str, spec: ConnectSpec) -> dict[str, str]:
    """The deploy step's ``with:`` as the workflows write it: names ``connect`` stored."""
    return {
        "platform": platform,
        "project": f"${{{{ vars.{PROJECT_VARIABLE} }}}}",
        "token": f"${{{{ secrets.{spec.token_secret} }}}}",
        "account": f"${{{{ vars.{spec.account_variable} }}}}",
    }


def render(template: str, options: InitOptions, spec: ConnectSpec) -> str:
    """One workflow's text for ``options``."""
    text = resources.files("ci_deploy.connect").joinpath("templates", template).read_text(encoding="utf-8")
    trigger, trigger_text = _TRIGGERS[options.production_on]
    with_block = "\n".join(f"          {k}: {v}" for k, v in step_inputs(options.platform, spec).items())
    fills = {
        "@@PLATFORM@@": options.platform,
        "@@BUILD@@": options.build,
        "@@OUTPUT@@": options.output.rstrip("/"),
        "@@ENVIRONMENT@@": options.environment,
        "@@TRIGGER@@": trigger,
        "@@TRIGGER_TEXT@@": trigger_text,
        "@@WITH@@": with_block,
    }
    for marker, value in fills.items():
        text = text.replace(marker, value)
    return text


def run_init(options: InitOptions) -> int:
    from ci_deploy.platforms import platform_spec

    if options.production_on not in _TRIGGERS:
        raise InputError(f"--production-on {options.production_on}: expected one of {', '.join(_TRIGGERS)}")
    spec = platform_spec(options.platform).connect
    targets = [options.directory / name for name in WORKFLOWS]
    in_the_way = [str(path) for path in targets if path.exists()]
    if in_the_way and not options.force:
        raise InputError(f"{', '.join(in_the_way)} already exists: pass --force to overwrite")
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(path.name, options, spec), encoding="utf-8")
        print(f"wrote {path}")
    print(
        f"the workflows read secret {spec.token_secret} and variables {spec.account_variable}, "
        f"{PROJECT_VARIABLE} (`ci-deploy connect {options.platform}` stores them)"
    )
    return 0
