"""The sites of a monorepo (``ci-deploy.sites.yml``) and which of them a change affects.

One file lists every deployable site with the source paths that affect it::

    sites:
      - name: docs
        paths: ["docs/**", "package-lock.json"]
        platform: cloudflare-pages
        project: acme-docs
        artifact: docs/dist
      - name: web
        paths: ["apps/web/**", "packages/ui/**", "!**/*.md"]
        platform: vercel
        project: acme-web
        artifact: .vercel/output
        working-directory: apps/web
        domains: [www.example.com, example.com]

Selection is pure (changed paths in, sites out, in the file's order), so it is tested without
git; :mod:`ci_deploy.commands.matrix` finds the changed paths. A bad file is one InputError naming the
file and the key (``ci-deploy.sites.yml: sites[1].platform: ...``), never pydantic's report.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from ci_deploy.config.parsers import PARSERS
from ci_deploy.config.path_globs import PathFilter
from ci_deploy.config.values import parse_hostname
from ci_deploy.errors import InputError


class Site(BaseModel):
    """One deployable site: where it goes and which source paths affect it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    paths: list[str] = Field(min_length=1)
    platform: Literal["cloudflare-pages", "vercel"]
    project: str = Field(min_length=1)
    artifact: str = Field(min_length=1)
    working_directory: str = Field(default=".", min_length=1, alias="working-directory")
    domains: list[str] = Field(default_factory=list)

    @field_validator("paths")
    @classmethod
    def _paths_are_patterns(cls, paths: list[str]) -> list[str]:
        PathFilter.parse(paths)
        return paths

    @field_validator("domains", mode="before")
    @classmethod
    def _domains_as_list(cls, value: Any) -> Any:
        """``domains`` may be a list or one string, comma or newline separated (as the input)."""
        if isinstance(value, str):
            return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]
        return value

    @field_validator("domains")
    @classmethod
    def _domains_are_host_names(cls, domains: list[str]) -> list[str]:
        """The ``domains`` input's own check, so a bad one fails the plan job, not every deploy."""
        return [parse_hostname(domain) for domain in domains]

    @field_validator("project")
    @classmethod
    def _project_is_a_name(cls, project: str) -> str:
        """The ``project`` input's own check, for the same reason."""
        checked: str = PARSERS["project"](project)
        return checked

    @property
    def path_filter(self) -> PathFilter:
        return PathFilter.parse(self.paths)

    def matrix_entry(self) -> dict[str, str]:
        """One ``include`` row: every key always present, so ``${{ matrix.domains }}`` is ""."""
        return {
            "site": self.name,
            "platform": self.platform,
            "project": self.project,
            "artifact": self.artifact,
            "working-directory": self.working_directory,
            "domains": ",".join(self.domains),
        }


class SitesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: list[Site] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_are_unique(self) -> SitesFile:
        seen: set[str] = set()
        for site in self.sites:
            if site.name in seen:
                raise ValueError(f"two sites are named {site.name!r}; names must be unique")
            seen.add(site.name)
        return self


def load_sites(path: Path) -> list[Site]:
    """The sites in ``path``; InputError (exit 2) naming the file and key when it is not valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{path}: not found; create it (see README: Monorepos) or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read: {error}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise InputError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected a mapping with a `sites:` list at the top")
    try:
        return SitesFile.model_validate(document).sites
    except ValidationError as error:
        raise _first_error(path, error) from None


def _first_error(path: Path, error: ValidationError) -> InputError:
    """One line for the first problem (file, key, reason); the rest follow as details. An
    unknown key comes first: it is usually a misspelling of the key reported missing."""
    problems = error.errors(include_input=False, include_url=False)
    lines = []
    for problem in sorted(problems, key=lambda problem: problem["type"] != "extra_forbidden"):
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"])
        lines.append(f"{path}: {where.lstrip('.') or 'sites'}: {_reason(problem)}")
    return InputError(lines[0], details="\n".join(lines[1:]))


def _reason(problem: ErrorDetails) -> str:
    if problem["type"] == "missing":
        return "required; add it"
    if problem["type"] == "extra_forbidden":
        in_site = len(problem["loc"]) > 1
        known = [field.alias or name for name, field in Site.model_fields.items()] if in_site else ["sites"]
        return f"unknown key (known: {', '.join(known)})"
    return str(problem["msg"]).removeprefix("Value error, ")


def select_sites(sites: Iterable[Site], changed: Iterable[str] | None) -> list[Site]:
    """The sites that any of the ``changed`` paths affects, in file order; every site for None."""
    sites = list(sites)
    if changed is None:
        return sites
    paths = [path for path in changed if path]
    selected = []
    for site in sites:
        path_filter = site.path_filter
        if any(path_filter.matches(path) for path in paths):
            selected.append(site)
    return selected


def matrix_of(sites: Iterable[Site]) -> dict[str, list[dict[str, str]]]:
    """The GitHub Actions matrix (``strategy.matrix: ${{ fromJSON(...) }}``) of ``sites``."""
    return {"include": [site.matrix_entry() for site in sites]}
