"""Pure rules: branch labels, the form fields, stages, URLs and recognising our deployment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_deploy.artifact import ArtifactFile
from ci_deploy.platforms.base import DeployRequest
from ci_deploy.platforms.cloudflare_pages import model as model


@pytest.mark.parametrize(
    ("branch", "label"),
    [
        ("fix/api", "fix-api"),
        ("dependabot/npm_and_yarn/dustjs-linkedin-3.0.0", "dependabot-npm-and-yarn-dust"),
        ("Feature/UPPER_case", "feature-upper-case"),
        ("--a//b--", "a--b"),
        ("a" * 27 + "/b", "a" * 27 + "-"),  # the cut leaves a trailing dash, kept
    ],
)
def test_slug_branch_follows_the_platform_rule(branch: str, label: str) -> None:
    assert model.slug_branch(branch) == label


def test_slug_branch_of_nothing_usable_is_branch_and_ten_random_alphanumerics() -> None:
    result = model.slug_branch("é/ü")
    assert result.startswith("branch-") and len(result) == 17 and result[7:].isalnum()


def test_commit_message_is_cut_to_384_bytes_on_a_character_boundary() -> None:
    message = "a" + "é" * 300  # 601 bytes
    cut = model.truncate_utf8(message)
    assert len(cut.encode()) <= 384 and message.startswith(cut)
    assert len(cut.encode()) == 383  # one more 2-byte character would not fit


def test_form_fields_carry_manifest_branch_commit_and_dirty_flag() -> None:
    request = DeployRequest("preview", "feature", "abc123", commit_message="msg", commit_dirty=True)
    fields = model.deployment_fields({"/index.html": "h"}, "feature", request)
    assert fields == {
        "manifest": '{"/index.html":"h"}',
        "branch": "feature",
        "commit_hash": "abc123",
        "commit_message": "msg",
        "commit_dirty": "true",
    }


def test_form_files_send_headers_redirects_and_worker_with_its_routes(tmp_path: Path) -> None:
    def file(name: str, data: bytes) -> ArtifactFile:
        (tmp_path / name).write_bytes(data)
        return ArtifactFile(name, tmp_path / name, len(data))

    form = {
        "_headers": file("_headers", b"/*\n  X: y\n"),
        "_redirects": file("_redirects", b""),  # empty: not sent
        "_worker.js": file("_worker.js", b"export default {}"),
        "_routes.json": file("_routes.json", b'{"version":1}'),
    }
    parts = model.deployment_files(form)
    assert [name for name, _ in parts] == ["_headers", "_worker.js", "_routes.json"]
    assert parts[1][1] == ("_worker.js", b"export default {}", "application/javascript")


def test_routes_json_without_a_worker_is_not_sent(tmp_path: Path) -> None:
    (tmp_path / "_routes.json").write_bytes(b"{}")
    assert (
        model.deployment_files({"_routes.json": ArtifactFile("_routes.json", tmp_path / "_routes.json", 2)})
        == []
    )


def test_ready_only_when_the_deploy_stage_succeeded() -> None:
    assert model.is_ready({"latest_stage": {"name": "deploy", "status": "success"}})
    assert not model.is_ready({"latest_stage": {"name": "deploy", "status": "active"}})
    assert not model.is_ready({"latest_stage": {"name": "build", "status": "success"}})
    assert model.has_failed({"latest_stage": {"name": "build", "status": "failure"}})
    assert model.has_failed({"latest_stage": {"name": "deploy", "status": "canceled"}})


def test_own_deployment_matches_branch_commit_and_creation_time() -> None:
    mine = {
        "deployment_trigger": {"metadata": {"branch": "b", "commit_hash": "c"}},
        "created_on": "2026-01-01T00:00:10Z",
    }
    began = 1767225600.0 + 5  # 00:00:05
    assert model.is_own_deployment(mine, "b", "c", began)
    assert not model.is_own_deployment(mine, "b", "other", began)
    assert not model.is_own_deployment(mine, "other", "c", began)
    assert not model.is_own_deployment(mine, "b", "c", began + 10)  # created before we asked


def test_to_deployment_takes_urls_from_the_answer() -> None:
    preview = {
        "id": "abcdef12-0000",
        "url": "https://abcdef12.site-x1.pages.dev",
        "environment": "preview",
        "aliases": ["https://www.custom.com", "https://feature.site-x1.pages.dev"],
        "deployment_trigger": {"metadata": {"branch": "feature", "commit_hash": "sha"}},
        "created_on": "2026-01-01T00:00:00Z",
    }
    deployment = model.to_deployment(preview, account="acc", project="site", subdomain="site-x1.pages.dev")
    assert deployment.alias_url == "https://feature.site-x1.pages.dev"
    assert deployment.production_url == ""
    assert deployment.inspect_url == "https://dash.cloudflare.com/acc/pages/view/site/abcdef12-0000"
    assert (deployment.branch, deployment.commit_sha, deployment.state) == ("feature", "sha", "ready")
    production = {**preview, "environment": "production", "aliases": ["https://www.custom.com"]}
    live = model.to_deployment(production, account="acc", project="site", subdomain="site-x1.pages.dev")
    assert (live.alias_url, live.production_url) == ("", "https://site-x1.pages.dev")
