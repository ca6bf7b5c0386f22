"""The plan is pure: settings + target + artifact in, every decision out, nothing sent.

Every test takes `httpx_mock`: its teardown fails a test that made any HTTP request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy import redaction
from ci_deploy.artifact import Artifact, ArtifactFile, open_artifact
from ci_deploy.config.context import RunContext
from ci_deploy.config.event import Target
from ci_deploy.config.settings import settings_from_inputs
from ci_deploy.errors import InputError, LimitError
from ci_deploy.plan import build_plan
from ci_deploy.plan.model import CleanupPlan, DeployPlan, DomainsPlan, MakeLivePlan
from ci_deploy.plan.render import plan_lines, size

CTX = RunContext(repository="acme/web", sha="abc1234def")
PREVIEW = Target(
    command="deploy", environment="preview", branch="Feature/Big_Thing", sha="abc1234def", pr_number=7
)
PRODUCTION = Target(command="deploy", environment="production", branch="main", sha="abc1234def")


@pytest.fixture(autouse=True)
def _no_secrets() -> None:
    redaction.forget_all()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<h1>hi</h1>", encoding="utf-8")
    return tmp_path


def plan_for(site: Path, target: Target, environ: dict[str, str] | None = None, **inputs: str) -> DeployPlan:
    given = {
        "platform": "cloudflare-pages",
        "project": "web",
        "working-directory": str(site),
        "env-required": "none",
    }
    given.update({name.replace("_", "-"): value for name, value in inputs.items()})
    settings = settings_from_inputs(given, environ or {})
    with open_artifact(settings.artifact, working_directory=site) as artifact:
        plan = build_plan(settings, target, CTX, artifact, run_key="run-1")
    assert isinstance(plan, DeployPlan)
    return plan


def test_a_preview_plan_renders_the_preview_host_with_the_platforms_branch_slug(
    site: Path, httpx_mock: HTTPXMock
) -> None:
    cloudflare = plan_for(site, PREVIEW, preview_domain="{{branch}}-{{pr}}.preview.example.com")
    vercel = plan_for(
        site, PREVIEW, platform="vercel", preview_domain="{{branch}}-{{pr}}.preview.example.com"
    )
    assert cloudflare.preview_host == "feature-big-thing-7.preview.example.com"
    assert vercel.preview_host == "feature-big-thing-7.preview.example.com"
    assert cloudflare.domains == () and not cloudflare.reads_live_production


def test_a_production_plan_attaches_domains_and_reads_the_live_deployment_only_to_roll_back(
    site: Path, httpx_mock: HTTPXMock
) -> None:
    plan = plan_for(site, PRODUCTION, domains="www.example.com, example.com")
    assert plan.domains == ("www.example.com", "example.com") and plan.preview_host == ""
    assert plan.reads_live_production
    assert not plan_for(site, PRODUCTION, on_health_failure="fail").reads_live_production
    assert not plan_for(site, PRODUCTION, health_check="false").reads_live_production
    assert plan_for(site, PRODUCTION, wait="false").health is None


def test_the_health_text_is_rendered_with_the_commit_before_anything_is_deployed(
    site: Path, httpx_mock: HTTPXMock
) -> None:
    plan = plan_for(site, PRODUCTION, health_check="/\n/api", health_check_expect="200\ntext: build {{sha}}")
    assert plan.health is not None
    assert (plan.health.paths, plan.health.text, plan.health.base_url) == (("/", "/api"), "build abc1234", "")
    assert plan.health.at("https://web.pages.dev").base_url == "https://web.pages.dev"


def test_the_request_records_the_target_and_the_run(site: Path, httpx_mock: HTTPXMock) -> None:
    request = plan_for(site, PREVIEW).request
    assert (request.environment, request.branch, request.commit_sha, request.pr_number) == (
        "preview", "Feature/Big_Thing", "abc1234def", 7,
    )  # fmt: skip
    assert (request.run_key, request.repository, request.wait) == ("run-1", "acme/web", True)


def test_env_secrets_and_required_names_are_in_the_plan_by_name(site: Path, httpx_mock: HTTPXMock) -> None:
    plan = plan_for(
        site,
        PRODUCTION,
        {"DB": "postgres://secret"},
        env="DATABASE_URL: ${DB}\nMODE: fast",
        env_required="API_KEY",
    )
    assert plan.env.names == ["DATABASE_URL", "MODE"] and plan.env.required == {"API_KEY"}
    text = "\n".join(plan_lines(plan))
    assert "DATABASE_URL (secret), MODE (plain)" in text and "postgres://secret" not in text


def test_an_unresolvable_template_is_refused_by_the_plan(site: Path, httpx_mock: HTTPXMock) -> None:
    push = Target(command="deploy", environment="preview", branch="feature", sha="abc1234def")
    with pytest.raises(InputError) as caught:
        plan_for(site, push, preview_domain="pr-{{pr}}.example.com")
    assert caught.value.input_name == "preview-domain"


def test_a_platform_limit_is_refused_by_the_plan_naming_the_file(
    tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    settings = settings_from_inputs({"platform": "cloudflare-pages", "project": "web"}, {})
    huge = Artifact(tmp_path, [], "dist/")
    big = type(huge)(tmp_path, [_file(tmp_path, "big.bin", 26 * 1024 * 1024)], "dist/")
    with pytest.raises(LimitError, match=r"big\.bin"):
        build_plan(settings, PRODUCTION, CTX, big, run_key="r")


def _file(root: Path, name: str, size: int):  # type: ignore[no-untyped-def]

    return ArtifactFile(name, root / name, size)


@pytest.mark.parametrize(
    ("command", "inputs", "kind", "line"),
    [
        ("cleanup", {}, CleanupPlan, "the previews of PR #7"),
        ("rollback", {}, MakeLivePlan, "roll back to the production deployment before the live one"),
        ("rollback", {"deployment-id": "dep-1"}, MakeLivePlan, "roll back to dep-1"),
        ("promote", {"deployment-id": "dep-2"}, MakeLivePlan, "promote dep-2"),
        ("domains-add", {"domains": "www.example.com"}, DomainsPlan, "attach to production www.example.com"),
        ("domains-status", {"domains": "www.example.com"}, DomainsPlan, "read the state of www.example.com"),
    ],
)
def test_every_other_command_has_its_own_plan_and_dry_run_text(
    command: str, inputs: dict[str, str], kind: type, line: str, httpx_mock: HTTPXMock
) -> None:
    settings = settings_from_inputs({"platform": "vercel", "project": "web", **inputs}, {})
    target = Target(command=command, environment="preview", branch="feature", sha="abc", pr_number=7)  # type: ignore[arg-type]
    plan = build_plan(settings, target, CTX, None, run_key="r")
    assert isinstance(plan, kind)
    assert any(line in text for text in plan_lines(plan))


def test_cleanup_without_a_pull_request_number_is_refused_naming_pr_number(httpx_mock: HTTPXMock) -> None:
    settings = settings_from_inputs({"platform": "vercel", "project": "web"}, {})
    target = Target(command="cleanup", environment="preview", branch="feature", sha="abc")
    with pytest.raises(InputError) as caught:
        build_plan(settings, target, CTX, None, run_key="r")
    assert caught.value.input_name == "pr-number"


def test_sizes_are_printed_in_the_largest_fitting_unit() -> None:
    assert [size(n) for n in (5, 2048, 3 * 1024**2, 5 * 1024**3)] == ["5 B", "2.0 KiB", "3.0 MiB", "5.0 GiB"]
