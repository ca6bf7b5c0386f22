"""`ci-deploy matrix`: the sites file, which sites a change affects, and the matrix a workflow's
deploy job fans out over — selection unit tests, then runs through `ci_deploy.cli.main` in a
real git repository with the event payload at GITHUB_EVENT_PATH."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from action_harness import parse_github_output

from ci_deploy import runner
from ci_deploy.cli import main
from ci_deploy.config.sites import Site, load_sites, matrix_of, select_sites
from ci_deploy.errors import InputError

SITES_YML = """\
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
"""
NO_COMMIT = "0" * 40


def sites_from(text: str, tmp_path: Path) -> list[Site]:
    path = tmp_path / "ci-deploy.sites.yml"
    path.write_text(text, encoding="utf-8")
    return load_sites(path)


def names(sites: list[Site]) -> list[str]:
    return [site.name for site in sites]


# --- selection: changed paths in, sites out ---


def test_a_site_is_selected_when_any_changed_path_matches_its_patterns(tmp_path: Path) -> None:
    sites = sites_from(SITES_YML, tmp_path)
    assert names(select_sites(sites, ["packages/ui/button.tsx"])) == ["web"]
    assert names(select_sites(sites, ["package-lock.json", "README.md"])) == ["docs"]
    assert names(select_sites(sites, ["apps/web/README.md", "README.md"])) == []


def test_selection_keeps_the_files_order_and_none_means_every_site(tmp_path: Path) -> None:
    sites = sites_from(SITES_YML, tmp_path)
    assert names(select_sites(sites, ["apps/web/a.ts", "docs/index.md"])) == ["docs", "web"]
    assert names(select_sites(sites, None)) == ["docs", "web"]
    assert names(select_sites(sites, [])) == []


def test_every_matrix_row_carries_every_key_with_domains_as_one_input_value(tmp_path: Path) -> None:
    assert matrix_of(sites_from(SITES_YML, tmp_path)) == {
        "include": [
            {
                "site": "docs",
                "platform": "cloudflare-pages",
                "project": "acme-docs",
                "artifact": "docs/dist",
                "working-directory": ".",
                "domains": "",
            },
            {
                "site": "web",
                "platform": "vercel",
                "project": "acme-web",
                "artifact": ".vercel/output",
                "working-directory": "apps/web",
                "domains": "www.example.com,example.com",
            },
        ]
    }


def test_domains_may_also_be_written_as_one_comma_or_newline_separated_string(tmp_path: Path) -> None:
    text = SITES_YML.replace("[www.example.com, example.com]", '"www.example.com,\\n example.com"')
    assert sites_from(text, tmp_path)[1].domains == ["www.example.com", "example.com"]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("sites: [", "not valid YAML at line 1"),
        ("- name: docs\n", "expected a mapping with a `sites:` list"),
        ("sites: []\n", "sites: List should have at least 1 item"),
        ("site: []\n", "site: unknown key (known: sites)"),
        (SITES_YML.replace("    artifact: docs/dist\n", ""), "sites[0].artifact: required; add it"),
        (SITES_YML.replace("artifact: docs/dist", "artefact: docs/dist"), "sites[0].artefact: unknown key"),
        (SITES_YML.replace("platform: vercel", "platform: netlify"), "sites[1].platform: Input should be"),
        (SITES_YML.replace('"docs/**"', '"/docs/**"'), "sites[0].paths: '/docs/**': paths are relative"),
        (SITES_YML.replace('paths: ["docs/**", "package-lock.json"]', "paths: []"), "sites[0].paths"),
        (SITES_YML.replace("name: web", "name: docs"), "sites: two sites are named 'docs'"),
        (SITES_YML.replace("name: web", "name: my site"), "sites[1].name: String should match pattern"),
        # the inputs' own checks: a bad project or domain fails the plan job, not each deploy job
        (
            SITES_YML.replace("project: acme-docs", "project: acme docs"),
            "sites[0].project: expected a project",
        ),
        (
            SITES_YML.replace("www.example.com, example.com", "https://example.com"),
            "sites[1].domains: expected",
        ),
    ],
)
def test_a_bad_sites_file_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, text: str, complaint: str
) -> None:
    with pytest.raises(InputError) as raised:
        sites_from(text, tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'ci-deploy.sites.yml'}: ")
    assert complaint in str(raised.value) and "\n" not in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_missing_sites_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not found; create it .* or pass --config PATH"):
        load_sites(tmp_path / "nope.yml")


# --- end to end: `ci-deploy matrix` in a git repository, as a workflow step ---


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    done = subprocess.run([*command, *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str | None]) -> str:
    """Write (or, for None, delete) files and commit them; returns the new commit's sha."""
    for name, content in files.items():
        if content is None:
            git(repo, "rm", "-q", name)
        else:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(content, encoding="utf-8")
            git(repo, "add", name)
    git(repo, "commit", "-q", "-m", "change")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, {"ci-deploy.sites.yml": SITES_YML, "docs/index.md": "# docs", "apps/web/app.ts": "1"})
    monkeypatch.chdir(root)
    return root


Run = Callable[..., tuple[int, dict[str, Any], dict[str, str], str]]


@pytest.fixture
def run_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run_matrix(event_name, event, *flags)`` -> (exit code, printed matrix, outputs, stderr)."""

    def run(
        event_name: str, event: dict[str, Any], *flags: str
    ) -> tuple[int, dict[str, Any], dict[str, str], str]:
        event_path, output = tmp_path / "event.json", tmp_path / "github_output"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        output.write_text("", encoding="utf-8")
        environ = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_OUTPUT": str(output),
        }
        code = main(["matrix", *flags], environ)
        captured = capsys.readouterr()
        lines = [line for line in captured.out.splitlines() if not line.startswith("::")]
        printed = json.loads(lines[-1]) if code == 0 else {}
        return (
            code,
            printed,
            parse_github_output(output.read_text(encoding="utf-8")),
            captured.out + captured.err,
        )

    return run


def sites_in(matrix: dict[str, Any]) -> list[str]:
    return [row["site"] for row in matrix["include"]]


def push(before: str, after: str, **extra: Any) -> dict[str, Any]:
    return {"ref": "refs/heads/main", "before": before, "after": after, **extra}


def pull_request(base: str, head: str) -> dict[str, Any]:
    return {"number": 7, "pull_request": {"base": {"sha": base}, "head": {"sha": head}}}


def test_a_push_deploys_only_the_sites_its_commits_touch(repo: Path, run_matrix: Run) -> None:
    before = git(repo, "rev-parse", "HEAD")
    after = commit(repo, {"docs/guide.md": "guide", "README.md": "readme"})

    code, matrix, outputs, log = run_matrix("push", push(before, after))

    assert code == 0 and sites_in(matrix) == ["docs"]
    assert json.loads(outputs["matrix"]) == matrix and outputs["count"] == "1"
    assert "1 of 2 sites to deploy" in log


def test_a_pull_request_compares_with_where_it_left_the_base_branch(repo: Path, run_matrix: Run) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    head = commit(repo, {"packages/ui/button.tsx": "button"})
    git(repo, "checkout", "-q", "main")
    main_now = commit(repo, {"docs/later.md": "a docs change on main after the PR branched"})

    code, matrix, outputs, _ = run_matrix("pull_request", pull_request(main_now, head))

    assert code == 0 and sites_in(matrix) == ["web"]
    assert matrix["include"][0]["working-directory"] == "apps/web"
    assert outputs["count"] == "1"


def test_moving_a_file_between_sites_deploys_both(repo: Path, run_matrix: Run) -> None:
    before = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", "apps/web/app.ts", "docs/app.ts")
    after = commit(repo, {})

    _, matrix, _, _ = run_matrix("push", push(before, after))

    assert sites_in(matrix) == ["docs", "web"]


def test_a_change_no_site_cares_about_gives_an_empty_matrix_and_says_so(repo: Path, run_matrix: Run) -> None:
    before = git(repo, "rev-parse", "HEAD")
    after = commit(repo, {"apps/web/NOTES.md": "excluded by !**/*.md"})

    code, matrix, outputs, log = run_matrix("push", push(before, after))

    assert code == 0 and matrix == {"include": []}
    assert outputs == {"matrix": '{"include":[]}', "count": "0"}
    assert "no site is affected" in log and "the matrix is empty" in log


def test_a_new_branch_or_a_manual_run_deploys_every_site(repo: Path, run_matrix: Run) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert sites_in(run_matrix("push", push(NO_COMMIT, head))[1]) == ["docs", "web"]
    assert sites_in(run_matrix("workflow_dispatch", {"ref": "refs/heads/main"})[1]) == ["docs", "web"]


def test_a_push_from_a_commit_the_checkout_lacks_deploys_every_site_with_a_warning(
    repo: Path, run_matrix: Run
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    code, matrix, _, log = run_matrix("push", push("1" * 40, head, forced=True))
    assert code == 0 and sites_in(matrix) == ["docs", "web"]
    assert "::warning" in log and "fetch-depth: 0" in log


def test_deleting_a_branch_deploys_nothing(repo: Path, run_matrix: Run) -> None:
    head = git(repo, "rev-parse", "HEAD")
    code, matrix, _, _ = run_matrix("push", push(head, NO_COMMIT, deleted=True))
    assert code == 0 and matrix == {"include": []}


def test_a_pull_request_whose_commits_are_not_checked_out_is_exit_2_with_the_fix(
    repo: Path, run_matrix: Run
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    code, _, outputs, log = run_matrix("pull_request", pull_request(base, "2" * 40))
    assert code == 2 and outputs == {}
    assert "pull_request: git diff" in log and "fetch-depth: 0" in log


def test_a_closed_pull_request_whose_head_is_gone_cleans_up_every_site(repo: Path, run_matrix: Run) -> None:
    base = git(repo, "rev-parse", "HEAD")
    code, matrix, _, _ = run_matrix("pull_request", {**pull_request(base, "2" * 40), "action": "closed"})
    assert code == 0 and sites_in(matrix) == ["docs", "web"]


def test_changed_files_and_all_replace_the_event(repo: Path, run_matrix: Run, tmp_path: Path) -> None:
    listing = tmp_path / "changed.txt"
    listing.write_text("./packages/ui/x.ts\n\n", encoding="utf-8")
    assert sites_in(run_matrix("push", {}, "--changed-files", str(listing))[1]) == ["web"]
    assert sites_in(run_matrix("push", {}, "--all")[1]) == ["docs", "web"]


def test_a_bad_sites_file_is_exit_2_naming_file_and_key_and_sets_no_output(
    repo: Path, run_matrix: Run
) -> None:
    (repo / "sites.yml").write_text(
        SITES_YML.replace("platform: vercel", "platform: netlify"), encoding="utf-8"
    )

    code, _, outputs, log = run_matrix("workflow_dispatch", {}, "--config", "sites.yml")

    assert code == 2 and outputs == {}
    assert "::error title=ci-deploy::sites.yml: sites[1].platform: Input should be" in log


def test_outside_actions_without_a_source_of_changes_it_asks_for_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["matrix"], {}) == 2
    assert "pass --changed-files FILE or --all" in capsys.readouterr().err


def test_the_readmes_sites_file_is_valid_and_selects_as_documented(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Monorepos: one job per changed site\n", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    sites = sites_from(example, tmp_path)
    assert names(select_sites(sites, ["packages/ui/button.tsx", "apps/web/README.md"])) == ["web"]


def test_a_matrix_that_cannot_be_printed_is_one_line_exit_1_with_the_outputs_still_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ci-deploy.sites.yml"
    config.write_text(
        "sites:\n  - name: docs\n    paths: ['docs/**']\n    platform: vercel\n"
        "    project: docs\n    artifact: dist\n"
    )
    output = tmp_path / "output"
    output.touch()
    monkeypatch.setattr(runner, "print_result", lambda text: False)  # stdout to a full device
    monkeypatch.chdir(tmp_path)

    code = main(["matrix", "--all", "--config", str(config)], {"GITHUB_OUTPUT": str(output)})

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: ci-deploy: could not write the matrix to standard output (closed, or its device full)"
    )
    assert parse_github_output(output.read_text())["count"] == "1"
