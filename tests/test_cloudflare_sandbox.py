"""The Cloudflare Pages adapter deploying into the sandbox's emulated API, end to end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ci_deploy.artifact import Artifact, ArtifactFile
from ci_deploy.errors import AuthError, InputError
from ci_deploy.platforms.base import DeployRequest, EnvVar, PlatformSettings
from ci_deploy.platforms.cloudflare_pages.adapter import CloudflarePages
from ci_deploy_sandbox import identities
from ci_deploy_sandbox.cloudflare_auth import ACCOUNT_SCOPED_TOKEN, DNS_READ_ONLY_TOKEN, MULTI_ACCOUNT_TOKEN
from ci_deploy_sandbox.runtime import Sandbox

Get = Callable[..., httpx.Response]


def write_site(root: Path, pages: dict[str, bytes]) -> Artifact:
    entries = []
    for path, data in sorted(pages.items()):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        entries.append(ArtifactFile(path, root / path, len(data)))
    return Artifact(root=root, files=entries, label=f"{root.name}/")


def site(tmp_path: Path, version: str, name: str = "dist") -> Artifact:
    return write_site(
        tmp_path / name,
        {
            "index.html": f"<h1>home {version}</h1>".encode(),
            "about.html": b"<h1>about</h1>",
            "assets/app.js": b"console.log(1)",
            "assets/copy.js": b"console.log(1)",  # same bytes: uploaded once
            "_headers": b"/*\n  X-Site: demo\n",
        },
    )


def adapter(sandbox: Sandbox, token: str = identities.CLOUDFLARE_TOKEN, **kwargs: object) -> CloudflarePages:
    settings = PlatformSettings(
        token=token,
        project="demo",
        api_url=sandbox.cloudflare_api_url,
        timeout=30,
        **kwargs,  # type: ignore[arg-type]
    )
    return CloudflarePages(settings)


@pytest.fixture
def pages(sandbox: Sandbox) -> Iterator[CloudflarePages]:
    platform = adapter(sandbox)
    platform.connect()
    yield platform
    platform.close()


def production(sha: str) -> DeployRequest:
    return DeployRequest("production", "main", sha, commit_message=f"release {sha}")


def test_first_deploy_then_unchanged_redeploy_uploads_nothing(
    pages: CloudflarePages, sandbox: Sandbox, tmp_path: Path, http_get: Get
) -> None:
    artifact = site(tmp_path, "v1")
    first = pages.deploy(artifact, production("a" * 40))
    assert (first.environment, first.state, first.files_uploaded) == ("production", "ready", 3)
    assert first.production_url.startswith("http://demo") and f":{sandbox.port}" in first.production_url
    response = http_get(first.production_url + "/")
    assert "home v1" in response.text and response.headers["x-site"] == "demo"
    sandbox.reset_counters()
    again = pages.deploy(artifact, production("b" * 40))
    assert (again.files_uploaded, again.bytes_uploaded) == (0, 0)
    assert sandbox.counters().get("bytes_uploaded", 0) == 0
    assert again.id != first.id


def test_preview_alias_is_served_and_names_the_deployment(
    pages: CloudflarePages, tmp_path: Path, http_get: Get
) -> None:
    preview = pages.deploy(
        site(tmp_path, "preview"), DeployRequest("preview", "Feature/Login", "c" * 40, pr_number=7)
    )
    assert preview.environment == "preview" and preview.production_url == ""
    assert preview.alias_url.startswith("http://feature-login.")
    response = http_get(preview.alias_url + "/")
    assert "home preview" in response.text
    hints = pages.health_hints(preview)
    assert response.headers.get(hints.served_by_header) in hints.served_by_values


def test_env_vars_are_set_before_the_deployment_is_created(pages: CloudflarePages, tmp_path: Path) -> None:
    pages.set_env_vars(
        [EnvVar("API_URL", "https://api", False), EnvVar("API_KEY", "s3cret", True)], "production"
    )
    assert {"API_URL", "API_KEY"} <= pages.existing_env_names("production")
    assert pages.existing_env_names("preview") == set()
    deployment = pages.deploy(site(tmp_path, "env"), production("d" * 40))
    recorded = pages._deployments().get(deployment.id)["env_vars"]
    assert recorded["API_URL"]["type"] == "plain_text" and recorded["API_KEY"]["type"] == "secret_text"
    assert "s3cret" not in str(recorded)


def test_wait_false_returns_the_deployment_while_it_builds(
    pages: CloudflarePages, sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set("cloudflare.deploy_delay_ms", 5000)
    request = DeployRequest("preview", "slow", "e" * 40, wait=False)
    assert pages.deploy(site(tmp_path, "slow"), request).state == "building"


def test_a_domain_goes_active_once_its_cname_is_created(
    pages: CloudflarePages, sandbox: Sandbox, tmp_path: Path, http_get: Get
) -> None:
    sandbox.set("cloudflare.zones", ["example.localhost"])
    pages.deploy(site(tmp_path, "domain"), production("f" * 40))
    [status] = pages.attach_domains(["www.example.localhost"], wait_seconds=10)
    assert (status.status, status.records) == ("active", ())
    assert "home domain" in http_get(f"http://www.example.localhost:{sandbox.port}/").text
    assert pages.attach_domains(["www.example.localhost"], wait_seconds=0)[0].status == "active"  # idempotent


def test_without_dns_rights_the_domain_stays_pending_naming_the_record_and_permission(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set("cloudflare.zones", ["example.localhost"])
    owner = adapter(sandbox)
    owner.connect()
    limited = adapter(sandbox, token=DNS_READ_ONLY_TOKEN, account=identities.CLOUDFLARE_ACCOUNT_ID)
    limited.connect()
    [status] = limited.attach_domains(["shop.example.localhost"], wait_seconds=0.5)
    assert status.status == "pending"
    assert status.records[0].type == "CNAME" and status.records[0].value == owner.project["subdomain"]  # type: ignore[index]
    assert "DNS: Edit" in status.message


def test_preview_domain_points_at_the_branch_alias_and_is_removed(
    pages: CloudflarePages, sandbox: Sandbox, tmp_path: Path, http_get: Get
) -> None:
    sandbox.set("cloudflare.zones", ["example.localhost"])
    preview = pages.deploy(site(tmp_path, "pr"), DeployRequest("preview", "pr-branch", "1" * 40))
    url = pages.assign_preview_domain(preview, "pr-9.example.localhost")
    assert url == f"http://pr-9.example.localhost:{sandbox.port}"
    assert "home pr" in http_get(url + "/").text
    pages.remove_preview_domain("pr-9.example.localhost")
    assert pages.domain_status(["pr-9.example.localhost"])[0].status == "error"  # no longer attached
    pages.remove_preview_domain("pr-9.example.localhost")  # gone already is fine


def test_preview_domain_outside_the_accounts_zones_is_an_input_error(
    pages: CloudflarePages, tmp_path: Path
) -> None:
    preview = pages.deploy(site(tmp_path, "pr"), DeployRequest("preview", "x", "2" * 40))
    with pytest.raises(InputError, match="no zone") as caught:
        pages.assign_preview_domain(preview, "pr-1.elsewhere.localhost")
    assert caught.value.input_name == "preview-domain"


def test_rollback_restores_the_previous_production_and_promote_refuses_previews(
    pages: CloudflarePages, tmp_path: Path, http_get: Get
) -> None:
    old = pages.deploy(site(tmp_path, "old", "v1"), production("3" * 40))
    new = pages.deploy(site(tmp_path, "new", "v2"), production("4" * 40))
    assert pages.live_production().id == new.id  # type: ignore[union-attr]
    restored = pages.rollback()
    assert restored.id == old.id
    assert pages.live_production().id == old.id  # type: ignore[union-attr]
    assert "home old" in http_get(old.production_url + "/").text
    assert pages.promote(new.id).id == new.id
    preview = pages.deploy(site(tmp_path, "p", "v3"), DeployRequest("preview", "topic", "5" * 40))
    with pytest.raises(InputError) as caught:
        pages.promote(preview.id)
    assert caught.value.input_name == "deployment-id" and caught.value.exit_code == 2


def test_cleanup_finds_and_deletes_a_prs_previews_but_never_live_production(
    pages: CloudflarePages, tmp_path: Path
) -> None:
    live = pages.deploy(site(tmp_path, "live", "a"), production("6" * 40))
    first = pages.deploy(
        site(tmp_path, "p1", "b"), DeployRequest("preview", "pr-branch", "7" * 40, pr_number=3)
    )
    second = pages.deploy(
        site(tmp_path, "p2", "c"), DeployRequest("preview", "pr-branch", "8" * 40, pr_number=3)
    )
    other = pages.deploy(site(tmp_path, "o", "d"), DeployRequest("preview", "other", "9" * 40))
    found = pages.find_previews(3, "pr-branch", {other.id, live.id})
    assert {d.id for d in found} == {first.id, second.id, other.id}  # live production never
    for deployment in found:
        pages.delete_deployment(deployment.id)
    assert pages.find_previews(3, "pr-branch", set()) == []
    with pytest.raises(InputError, match="live production"):
        pages.delete_deployment(live.id)


def test_a_connection_dropped_after_create_does_not_make_a_second_deployment(
    pages: CloudflarePages, sandbox: Sandbox, tmp_path: Path
) -> None:
    fault = sandbox.inject("reset-after@cloudflare.deployments.create,count=1")
    deployment = pages.deploy(site(tmp_path, "once"), production("a1" * 20))
    listed = list(pages._deployments().listing())
    assert [d["id"] for d in listed] == [deployment.id]
    assert fault.fired == 1


def test_faults_on_assets_and_api_are_ridden_out(
    pages: CloudflarePages, sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set("cloudflare.deploy_delay_ms", 300)  # so the status is polled
    faults = [
        sandbox.inject("status=429@cloudflare.assets.upload,count=1,retry_after=1"),
        sandbox.inject("status=502@cloudflare.assets.check_missing,count=1,body=html"),
        sandbox.inject("reset@cloudflare.deployments.get,count=1"),
        sandbox.inject("expired-token@cloudflare.assets.upsert_hashes,count=1"),
        sandbox.inject("status=500@cloudflare.deployments.create,count=1"),
    ]
    deployment = pages.deploy(site(tmp_path, "faults"), production("b2" * 20))
    assert deployment.state == "ready"
    assert len(list(pages._deployments().listing())) == 1
    assert [fault.fired for fault in faults] == [1, 1, 1, 1, 1]


def test_account_is_discovered_or_must_be_chosen(sandbox: Sandbox) -> None:
    scoped = adapter(sandbox, token=ACCOUNT_SCOPED_TOKEN)
    scoped.connect()  # memberships refused for account-scoped tokens: /accounts is used
    assert scoped.account == identities.CLOUDFLARE_ACCOUNT_ID
    with pytest.raises(InputError, match=identities.CLOUDFLARE_ACCOUNT_ID) as caught:
        adapter(sandbox, token=MULTI_ACCOUNT_TOKEN).connect()
    assert caught.value.input_name == "account"


def test_a_bad_token_is_an_auth_error(sandbox: Sandbox) -> None:
    with pytest.raises(AuthError):
        adapter(sandbox, token="not_a_real_token", account=identities.CLOUDFLARE_ACCOUNT_ID).connect()


def test_missing_project_without_create_project_names_the_input(sandbox: Sandbox) -> None:
    with pytest.raises(InputError, match="create-project") as caught:
        adapter(sandbox, create_project=False).connect()
    assert caught.value.input_name == "project"
