"""URL rules: taken from the deployment's answer, http+port only for sandbox hosts."""

from __future__ import annotations

from ci_deploy.platforms.vercel.urls import (
    branch_alias,
    production_alias,
    slug_branch,
    to_deployment,
)


def test_the_production_url_is_the_project_vercel_app_alias() -> None:
    aliases = ["www.example.com", "web-git-main-acme.vercel.app", "web.vercel.app"]
    assert production_alias(aliases, "web") == "web.vercel.app"
    assert production_alias(["web.vercel.localhost"], "web") == "web.vercel.localhost"
    assert production_alias(["other.vercel.app"], "web") == ""


def test_the_branch_alias_is_the_git_entry() -> None:
    assert (
        branch_alias(["web.vercel.app", "web-git-feat-x-acme.vercel.app"]) == "web-git-feat-x-acme.vercel.app"
    )
    assert branch_alias(["web.vercel.app"]) == ""


def test_slug_branch_lowercases_and_collapses_other_characters() -> None:
    assert slug_branch("Feature/Login_Page") == "feature-login-page"
    assert slug_branch("--fix//a..b--") == "fix-a-b"
    assert slug_branch("dependabot/npm_and_yarn/x-1.2") == "dependabot-npm-and-yarn-x-1-2"


def test_to_deployment_reads_a_v13_body() -> None:
    data = {
        "id": "dpl_1",
        "url": "web-abc-acme.vercel.app",
        "target": "production",
        "alias": ["web.vercel.app", "web-git-main-acme.vercel.app"],
        "inspectorUrl": "https://vercel.com/acme/web/1",
        "readyState": "READY",
        "createdAt": 1_700_000_000_000,
        "meta": {"githubPrId": "12", "githubCommitSha": "abc", "githubCommitRef": "main"},
    }
    deployment = to_deployment(data, "web", files_uploaded=3, bytes_uploaded=30)
    assert deployment.url == "https://web-abc-acme.vercel.app"
    assert deployment.production_url == "https://web.vercel.app"
    assert deployment.alias_url == "https://web-git-main-acme.vercel.app"
    assert deployment.environment == "production"
    assert deployment.inspect_url == "https://vercel.com/acme/web/1"
    assert (deployment.pr_number, deployment.commit_sha, deployment.branch) == (12, "abc", "main")
    assert deployment.created_on == "2023-11-14T22:13:20Z"
    assert (deployment.files_uploaded, deployment.bytes_uploaded, deployment.state) == (3, 30, "ready")


def test_to_deployment_reads_a_list_item_of_a_preview_in_the_sandbox() -> None:
    item = {"uid": "dpl_2", "url": "web-x-acme.vercel.localhost:8123", "target": None, "state": "BUILDING"}
    deployment = to_deployment(item, "web")
    assert deployment.id == "dpl_2"
    assert deployment.url == "http://web-x-acme.vercel.localhost:8123"
    assert (deployment.environment, deployment.production_url, deployment.state) == (
        "preview",
        "",
        "building",
    )
