"""The Vercel adapter against the sandbox's Vercel API, end to end over real HTTP.

Each test starts a fresh sandbox (``sandbox`` fixture) and deploys through :class:`Vercel`
exactly as the pipeline does; sites are then opened on their ``*.localhost`` URLs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ci_deploy.artifact import Artifact, ArtifactFile
from ci_deploy.errors import DeployFailed, DeployTimeout, InputError
from ci_deploy.platforms.base import DeployRequest, EnvVar, PlatformSettings
from ci_deploy.platforms.vercel.adapter import Vercel
from ci_deploy.platforms.vercel.project import list_deployments
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.runtime import Sandbox

Get = Callable[..., httpx.Response]


@pytest.fixture
def vercel(sandbox: Sandbox) -> Iterator[Vercel]:
    settings = PlatformSettings(
        token=identities.VERCEL_TOKEN,
        project="web",
        account=identities.VERCEL_TEAM_ID,
        api_url=sandbox.vercel_api_url,
        timeout=60,
    )
    platform = Vercel(settings)
    platform.connect()
    yield platform
    platform.close()


def site(root: Path, files: dict[str, str]) -> Artifact:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    entries = [ArtifactFile(p, root / p, (root / p).stat().st_size) for p in sorted(files)]
    return Artifact(root, entries, str(root))


def preview(pr: int = 7, key: str = "run-1") -> DeployRequest:
    return DeployRequest(
        environment="preview", branch="feat/x", commit_sha="a" * 40, pr_number=pr, run_key=key
    )


def production(key: str) -> DeployRequest:
    return DeployRequest(environment="production", branch="main", commit_sha="b" * 40, run_key=key)


def uploads(sandbox: Sandbox) -> int:
    return sum(1 for entry in sandbox.log() if entry.endpoint == "vercel.files.upload")


def test_a_static_site_is_deployed_and_served_by_this_deployment(
    vercel: Vercel, tmp_path: Path, http_get: Get
) -> None:
    first = vercel.deploy(site(tmp_path / "0", {"index.html": "first"}), preview(key="run-0"))
    assert first.environment == "production"  # a project's first deployment goes to production
    deployment = vercel.deploy(site(tmp_path, {"index.html": "<h1>v1</h1>", "a/b.css": "b{}"}), preview())
    assert deployment.environment == "preview" and deployment.production_url == ""
    page = http_get(deployment.url + "/")
    assert page.status_code == 200 and "v1" in page.text
    assert page.headers.get("x-sandbox-deployment") in vercel.health_hints(deployment).served_by_values
    assert deployment.url.startswith("http://") and ".localhost:" in deployment.url
    assert deployment.alias_url and http_get(deployment.alias_url + "/").status_code == 200


def test_an_unchanged_redeploy_uploads_nothing(vercel: Vercel, sandbox: Sandbox, tmp_path: Path) -> None:
    artifact = site(tmp_path, {"index.html": "same", "copy.html": "same", "x.js": "1"})
    first = vercel.deploy(artifact, preview(key="run-1"))
    assert first.files_uploaded == 2
    before = uploads(sandbox)
    second = vercel.deploy(artifact, preview(key="run-2"))
    assert (second.files_uploaded, second.bytes_uploaded, uploads(sandbox) - before) == (0, 0, 0)
    assert second.id != first.id


def test_a_prebuilt_output_is_deployed_as_prebuilt(vercel: Vercel, tmp_path: Path, http_get: Get) -> None:
    artifact = site(
        tmp_path,
        {
            "README.md": "not deployed",
            ".vercel/output/config.json": json.dumps({"version": 3}),
            ".vercel/output/static/index.html": "<p>prebuilt</p>",
        },
    )
    deployment = vercel.deploy(artifact, preview())
    assert "prebuilt" in http_get(deployment.url + "/").text


def test_a_preview_domain_alias_is_served(vercel: Vercel, tmp_path: Path, http_get: Get) -> None:
    deployment = vercel.deploy(site(tmp_path, {"index.html": "pr seven"}), preview())
    url = vercel.assign_preview_domain(deployment, "pr-7.preview.localhost")
    assert url.startswith("http://pr-7.preview.localhost:")
    assert "pr seven" in http_get(url + "/").text
    vercel.remove_preview_domain("pr-7.preview.localhost")
    vercel.remove_preview_domain("pr-7.preview.localhost")


def test_production_with_a_domain_that_needs_txt_verification(
    vercel: Vercel, sandbox: Sandbox, tmp_path: Path, http_get: Get
) -> None:
    deployment = vercel.deploy(site(tmp_path, {"index.html": "prod"}), production("run-p"))
    assert deployment.environment == "production"
    assert deployment.production_url.startswith("http://web.vercel.localhost:")
    assert "prod" in http_get(deployment.production_url + "/").text
    name = "www.example.localhost"
    sandbox.set("vercel.domains_needing_verification", [name])
    [pending] = vercel.attach_domains([name], wait_seconds=0)
    assert pending.status == "pending"
    kinds = {record.type: record for record in pending.records}
    assert kinds["TXT"].name == "_vercel.example.localhost" and kinds["TXT"].value.startswith(
        "vc-domain-verify="
    )
    dns = {f"{kinds['TXT'].name} TXT": kinds["TXT"].value, f"{name} CNAME": kinds["CNAME"].value}
    sandbox.set("vercel.dns", dns)
    [active] = vercel.attach_domains([name], wait_seconds=30)
    assert active.status == "active", active
    assert vercel.domain_status([name])[0].status == "active"


def test_env_vars_of_both_kinds_are_set_for_one_environment(vercel: Vercel) -> None:
    variables = [EnvVar("API_KEY", "sk_sandbox_secret", secret=True), EnvVar("MODE", "08", secret=False)]
    vercel.set_env_vars(variables, "preview")
    assert {"API_KEY", "MODE"} <= vercel.existing_env_names("preview")
    assert not {"API_KEY", "MODE"} & vercel.existing_env_names("production")
    vercel.set_env_vars([EnvVar("MODE", "09", secret=False)], "preview")
    assert {"API_KEY", "MODE"} <= vercel.existing_env_names("preview")


def test_rollback_then_a_new_production_deploy_is_promoted_and_promote_works(
    vercel: Vercel, tmp_path: Path, http_get: Get
) -> None:
    first = vercel.deploy(site(tmp_path / "1", {"index.html": "one"}), production("run-1"))
    second = vercel.deploy(site(tmp_path / "2", {"index.html": "two"}), production("run-2"))
    live = vercel.live_production()
    assert live is not None and live.id == second.id
    restored = vercel.rollback()
    assert restored.id == first.id
    assert "one" in http_get(second.production_url + "/").text
    third = vercel.deploy(site(tmp_path / "3", {"index.html": "three"}), production("run-3"))
    live = vercel.live_production()
    assert live is not None and live.id == third.id
    assert "three" in http_get(third.production_url + "/").text
    vercel.promote(second.id)
    assert "two" in http_get(second.production_url + "/").text


def test_cleanup_finds_and_deletes_a_prs_previews_but_never_live_production(
    vercel: Vercel, tmp_path: Path
) -> None:
    prod = vercel.deploy(site(tmp_path / "p", {"index.html": "p"}), production("run-p"))
    seven = vercel.deploy(site(tmp_path / "7", {"index.html": "7"}), preview(7, "run-7"))
    vercel.deploy(site(tmp_path / "8", {"index.html": "8"}), preview(8, "run-8"))
    found = vercel.find_previews(7, "feat/x", set())
    assert [d.id for d in found] == [seven.id]
    vercel.delete_deployment(seven.id)
    assert vercel.find_previews(7, "feat/x", {seven.id}) == []
    with pytest.raises(InputError):
        vercel.delete_deployment(prod.id)


def test_faults_on_uploads_and_a_reset_after_create_make_one_deployment(
    vercel: Vercel, sandbox: Sandbox, tmp_path: Path, http_get: Get
) -> None:
    vercel.deploy(site(tmp_path / "p", {"index.html": "p"}), production("run-p"))
    sandbox.inject("status=429@vercel.files.upload,count=2,retry_after=0")
    sandbox.inject("status=503@vercel.files.upload,count=1")
    sandbox.inject("reset@vercel.files.upload,count=1")
    sandbox.inject("reset-after@vercel.deployments.create,count=1")
    sandbox.inject("status=503@vercel.deployments.get,count=2")
    deployment = vercel.deploy(site(tmp_path / "f", {"index.html": "faulty", "b.txt": "b"}), preview())
    assert "faulty" in http_get(deployment.url + "/").text
    listed = vercel.find_previews(7, "feat/x", set())
    assert [d.id for d in listed] == [deployment.id]


def test_a_failed_build_is_reported_with_its_error(vercel: Vercel, sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.set("vercel.fail_next_builds", 1)
    with pytest.raises(DeployFailed):
        vercel.deploy(site(tmp_path, {"index.html": "x"}), preview())


def test_a_wrong_token_is_an_auth_error_naming_the_token(sandbox: Sandbox) -> None:
    settings = PlatformSettings(
        token="wrong_token", project="web", account=identities.VERCEL_TEAM_ID, api_url=sandbox.vercel_api_url
    )
    platform = Vercel(settings)
    with pytest.raises(InputError, match="invalid") as caught:
        platform.connect()
    assert caught.value.input_name == "token"


def test_endless_status_faults_end_within_the_timeout_with_the_real_reason(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = PlatformSettings(
        token=identities.VERCEL_TOKEN,
        project="web",
        account=identities.VERCEL_TEAM_SLUG,
        api_url=sandbox.vercel_api_url,
        timeout=2,
    )
    platform = Vercel(settings)
    platform.connect()
    sandbox.inject("status=503@vercel.deployments.get")
    with pytest.raises(DeployTimeout, match="503") as caught:
        platform.deploy(site(tmp_path, {"index.html": "x"}), preview())
    assert caught.value.exit_code == 1
    sandbox.clear_faults()
    assert len(list(list_deployments(platform.api, platform.project["id"]))) == 1
