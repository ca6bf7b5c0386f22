"""``ci-deploy matrix``: one deploy job per monorepo site that a change affects.

Reads the sites file (:mod:`ci_deploy.config.sites`), finds the changed paths and prints the GitHub
Actions matrix of the affected sites as one line of JSON, for
``strategy.matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}``. In a workflow step it also
writes the step outputs ``matrix`` (that JSON) and ``count`` (how many sites).

Where the changed paths come from, first match wins:

- ``--all``: every site; ``--changed-files FILE``: one path per line (``-`` reads stdin);
- ``push``: ``git diff --name-only <before> <after>``; a new branch or tag (``before`` is all
  zeros) or a ``before`` the checkout does not have (force push, shallow clone) selects every
  site, with a warning in the second case; a branch deletion selects none;
- ``pull_request`` / ``pull_request_target``: ``git diff --name-only <base>...<head>`` (what the
  PR changes since it left the base branch); ``merge_group`` likewise. A closed PR whose head
  commit the checkout no longer has (squash-merged, branch deleted) selects every site: its
  cleanup deletes nothing where there was no preview;
- any other event (``workflow_dispatch``, ``release``, ``schedule``...): every site.

Comparing needs both commits in the checkout: ``actions/checkout`` with ``fetch-depth: 0``.
Renames count on both sides (``--no-renames``): moving a file out of a site affects it too.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_deploy import runner
from ci_deploy.config.context import RunContext, load_event
from ci_deploy.config.sites import load_sites, matrix_of, select_sites
from ci_deploy.errors import CiDeployError, InputError

log = logging.getLogger("ci_deploy.commands.matrix")

_NO_COMMIT = "0" * 40
_PR_EVENTS = ("pull_request", "pull_request_target")
_FETCH_HINT = "check out with actions/checkout `fetch-depth: 0` so both commits are present"


@dataclass(frozen=True)
class Changes:
    """The changed paths (None: treat every site as changed) and one line saying where from."""

    paths: tuple[str, ...] | None
    reason: str


def run_matrix(config: str, changed_files: str | None, all_sites: bool, environ: Mapping[str, str]) -> int:
    """Print the matrix, set the step outputs; InputError (exit 2) for a bad file or event."""
    sites = load_sites(Path(config))
    changes = _changes(changed_files, all_sites, environ, Path.cwd())
    selected = select_sites(sites, changes.paths)
    text = json.dumps(matrix_of(selected), separators=(",", ":"))
    runner.set_outputs({"matrix": text, "count": str(len(selected))})
    if not runner.print_result(text):
        raise CiDeployError("could not write the matrix to standard output (closed, or its device full)")
    if selected:
        names = ", ".join(site.name for site in selected)
        log.info("%d of %d sites to deploy (%s): %s", len(selected), len(sites), changes.reason, names)
    else:
        log.info("no site is affected (%s): the matrix is empty", changes.reason)
    return 0


def _changes(changed_files: str | None, all_sites: bool, environ: Mapping[str, str], repo: Path) -> Changes:
    if all_sites:
        return Changes(None, "--all")
    if changed_files is not None:
        return Changes(read_changed_files(changed_files), f"--changed-files {changed_files}")
    ctx = RunContext.from_environ(environ)
    if not ctx.event_name:
        raise InputError(
            "no changes to match: pass --changed-files FILE or --all, "
            "or run in GitHub Actions (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH)"
        )
    return changes_from_event(ctx.event_name, load_event(ctx), repo)


def read_changed_files(source: str) -> tuple[str, ...]:
    """Paths from a file (``-``: stdin), one per line; blank lines and a leading ``./`` dropped."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"--changed-files {source}: cannot be read: {error}") from None
    lines = (line.strip() for line in text.splitlines())
    return tuple(line.removeprefix("./") for line in lines if line)


def changes_from_event(event_name: str, event: dict[str, Any], repo: Path) -> Changes:
    """What the event changed, from git in ``repo`` (see the module docstring for the rules)."""
    if event_name == "push":
        return _push_changes(event, repo)
    if event_name in _PR_EVENTS:
        pull = event.get("pull_request") or {}
        base, head = _sha(pull.get("base"), "sha"), _sha(pull.get("head"), "sha")
        if event.get("action") == "closed" and not (_has_commit(repo, base) and _has_commit(repo, head)):
            return Changes(None, "closed PR whose head is gone (merged and deleted): clean up every site")
        return _compare(repo, base, head, f"{event_name} {base[:7]}...{head[:7]}", event_name)
    if event_name == "merge_group":
        group = event.get("merge_group") or {}
        base, head = _sha(group, "base_sha"), _sha(group, "head_sha")
        return _compare(repo, base, head, f"merge_group {base[:7]}...{head[:7]}", event_name)
    return Changes(None, f"{event_name} event: every site")


def _push_changes(event: dict[str, Any], repo: Path) -> Changes:
    ref = str(event.get("ref") or "")
    if event.get("deleted"):
        return Changes((), f"push deleting {ref}")
    before, after = str(event.get("before") or ""), _sha(event, "after")
    if not before or before == _NO_COMMIT:
        return Changes(None, f"push of new {ref or 'ref'}: nothing to compare with, every site")
    if not _has_commit(repo, before):
        runner.warning(
            f"ci-deploy matrix: the push's previous commit {before[:12]} is not in the checkout "
            f"(a force push, or a shallow clone: {_FETCH_HINT}); deploying every site"
        )
        return Changes(None, f"push from {before[:7]} (not in the checkout): every site")
    return Changes(_git_diff(repo, before, after), f"push {before[:7]}..{after[:7]}")


def _compare(repo: Path, base: str, head: str, reason: str, event_name: str) -> Changes:
    try:
        return Changes(_git_diff(repo, f"{base}...{head}"), reason)
    except InputError as error:
        raise InputError(f"{event_name}: {error.message}", details=error.details) from None


def _sha(payload: Any, key: str) -> str:
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, str) or not value:
        raise InputError(
            f"the event payload has no commit `{key}` to compare; pass --changed-files FILE or --all"
        )
    return value


def _has_commit(repo: Path, sha: str) -> bool:
    return _git(repo, "cat-file", "-e", f"{sha}^{{commit}}").returncode == 0


def _git_diff(repo: Path, *revisions: str) -> tuple[str, ...]:
    result = _git(repo, "diff", "--name-only", "-z", "--no-renames", *revisions, "--")
    if result.returncode != 0:
        raise InputError(
            f"git diff {' '.join(revisions)} failed; {_FETCH_HINT}",
            details=result.stderr.decode("utf-8", errors="replace").strip(),
        )
    return tuple(name for name in result.stdout.decode("utf-8", errors="surrogateescape").split("\0") if name)


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise InputError("git is not installed; install it or pass --changed-files FILE or --all") from None
