"""``{{placeholder}}`` templates in inputs (``preview-domain``, ``health-check-expect``'s text).

Placeholders are case-insensitive, may carry inner spaces (``{{ PR }}``) and every occurrence is
replaced. One that cannot be resolved — ``{{pr}}`` on a push, an unknown name, a stray ``{{`` —
is an :class:`~ci_deploy.errors.InputError` naming the input: a literal ``{{pr}}`` left in a host
name would deploy somewhere nobody looks.
"""

from __future__ import annotations

import re

from ci_deploy.errors import InputError

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
#: placeholder -> what it needs, for the message when it cannot be resolved
KNOWN: dict[str, str] = {
    "pr": "a pull request number (this run has none: set pr-number)",
    "pr_number": "a pull request number (this run has none: set pr-number)",
    "branch": "a branch name",
    "sha": "a commit sha",
    "project": "a project name",
}


def placeholders(template: str) -> list[str]:
    """The placeholder names used in ``template``, lower-cased, in order of appearance."""
    return [match.group(1).lower() for match in _PLACEHOLDER.finditer(template)]


def check_template(template: str, *, input_name: str) -> None:
    """Refuse unknown placeholders and unbalanced braces before anything runs."""
    for name in placeholders(template):
        if name not in KNOWN:
            known = ", ".join("{{" + key + "}}" for key in KNOWN)
            raise InputError(f"unknown placeholder {{{{{name}}}}}; use one of {known}", input_name=input_name)
    rest = _PLACEHOLDER.sub("", template)
    if "{{" in rest or "}}" in rest:
        raise InputError("unbalanced '{{' or '}}' in template", input_name=input_name)


def render_template(
    template: str, *, input_name: str, pr: int | None, branch_slug: str | None, sha: str, project: str
) -> str:
    """``template`` with every placeholder replaced; ``{{sha}}`` is the first 7 characters."""
    check_template(template, input_name=input_name)
    values: dict[str, str] = {
        "pr": str(pr) if pr is not None else "",
        "pr_number": str(pr) if pr is not None else "",
        "branch": branch_slug or "",
        "sha": sha[:7],
        "project": project,
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        value = values[name]
        if not value:
            raise InputError(
                f"{{{{{name}}}}} cannot be resolved: it needs {KNOWN[name]}", input_name=input_name
            )
        return value

    return _PLACEHOLDER.sub(replace, template)
