"""The command line outside GitHub: flags and the platforms' usual variables, against the sandbox."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from action_harness import make_site, parse_github_output

from ci_deploy.cli import main
from ci_deploy.commands import dispatch
from ci_deploy.http import AmbiguousOutcome
from ci_deploy_sandbox.runtime import Sandbox


def cloudflare_env(sandbox: Sandbox) -> dict[str, str]:
    """What a user exports after ``ci-deploy sandbox``: the conventional variable names."""
    env = sandbox.env()
    return {
        "PATH": "/usr/bin:/bin",
        "CLOUDFLARE_API_TOKEN": env["CLOUDFLARE_API_TOKEN"],
        "CLOUDFLARE_ACCOUNT_ID": env["CLOUDFLARE_ACCOUNT_ID"],
        "CLOUDFLARE_API_BASE_URL": env["CLOUDFLARE_API_BASE_URL"],
    }


def run(capsys: pytest.CaptureFixture[str], environ: dict[str, str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv), environ=environ)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def deployment_ids(sandbox: Sandbox, project: str) -> list[str]:
    env = sandbox.env()
    with httpx.Client(base_url=env["CLOUDFLARE_API_BASE_URL"]) as client:
        answer = client.get(
            f"/accounts/{env['CLOUDFLARE_ACCOUNT_ID']}/pages/projects/{project}/deployments",
            params={"env": "production"},
            headers={"Authorization": f"Bearer {env['CLOUDFLARE_API_TOKEN']}"},
        ).json()
    return [d["id"] for d in answer["result"]]


COMMON = ("--platform", "cloudflare-pages", "--project", "cli-site", "--env-required", "none")


def test_deploy_rollback_and_promote_from_the_command_line(
    sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    http_get: Callable[..., httpx.Response],
) -> None:
    environ = cloudflare_env(sandbox)
    for marker in ("one", "two"):
        code, out, err = run(capsys, environ, "deploy", str(make_site(tmp_path / marker, marker)), *COMMON)
        assert code == 0, err
    url = out.strip().splitlines()[-1]
    assert "build two" in http_get(url + "/").text
    newest, older = deployment_ids(sandbox, "cli-site")[:2]
    code, out, err = run(capsys, environ, "rollback", *COMMON)
    assert code == 0, err
    assert "build one" in http_get(url + "/").text
    code, out, err = run(capsys, environ, "promote", newest, *COMMON)
    assert code == 0, err
    assert "build two" in http_get(url + "/").text
    code, out, err = run(capsys, environ, "rollback", "--to", older, *COMMON)
    assert code == 0, err
    assert "build one" in http_get(url + "/").text


def test_plan_prints_new_and_reused_files_without_changing_anything(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = cloudflare_env(sandbox)
    site = make_site(tmp_path / "dist")
    assert run(capsys, environ, "deploy", str(site), *COMMON)[0] == 0
    (site / "new.html").write_text("<p>new</p>")
    before = len(deployment_ids(sandbox, "cli-site"))
    code, out, err = run(capsys, environ, "plan", str(site), *COMMON)
    assert code == 0, err
    assert "Plan (dry run" in out and "1 new" in out
    assert len(deployment_ids(sandbox, "cli-site")) == before


def test_domains_add_reports_the_missing_record_then_status_sees_it_active(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = cloudflare_env(sandbox)
    assert run(capsys, environ, "deploy", str(make_site(tmp_path / "dist")), *COMMON)[0] == 0
    code, out, err = run(
        capsys, environ, "domains", "add", "www.elsewhere.localhost", *COMMON, "--timeout", "1"
    )
    assert code == 0, err
    assert "www.elsewhere.localhost: pending" in out and "CNAME www.elsewhere.localhost -> cli-site" in out
    sandbox.set("cloudflare.zones", ["shop.localhost"])
    code, out, err = run(capsys, environ, "domains", "add", "www.shop.localhost", *COMMON, "--timeout", "10")
    assert code == 0, err
    assert "www.shop.localhost: active" in out
    code, out, err = run(capsys, environ, "domains", "status", "www.shop.localhost", *COMMON)
    assert code == 0 and "www.shop.localhost: active" in out


def test_cloudflare_env_vars_are_set_before_the_deployment_with_secrets_as_secret_text(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {**cloudflare_env(sandbox), "DB_URL": "postgres://user:hunter2hunter2@db/app"}
    env_input = "DATABASE_URL: ${DB_URL}\nPUBLIC_FLAG: '08'"
    code, out, err = run(
        capsys, environ, "deploy", str(make_site(tmp_path / "dist")), *COMMON, "--env", env_input
    )
    assert code == 0, err
    assert "hunter2hunter2" not in out + err
    env = sandbox.env()
    with httpx.Client(base_url=env["CLOUDFLARE_API_BASE_URL"]) as client:
        auth = {"Authorization": f"Bearer {env['CLOUDFLARE_API_TOKEN']}"}
        account = env["CLOUDFLARE_ACCOUNT_ID"]
        project = client.get(f"/accounts/{account}/pages/projects/cli-site", headers=auth).json()["result"]
        newest = client.get(f"/accounts/{account}/pages/projects/cli-site/deployments", headers=auth).json()
    variables = project["deployment_configs"]["production"]["env_vars"]
    assert variables["DATABASE_URL"]["type"] == "secret_text"
    assert variables["PUBLIC_FLAG"] == {"type": "plain_text", "value": "08"}
    assert set(newest["result"][0]["env_vars"]) >= {"DATABASE_URL", "PUBLIC_FLAG"}


def test_a_required_env_var_missing_everywhere_fails_before_any_upload(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = cloudflare_env(sandbox)
    site = make_site(tmp_path / "dist")
    code, _out, err = run(
        capsys, environ, "deploy", str(site), "--platform", "cloudflare-pages", "--project", "cli-site",
        "--env-required", "DATABASE_URL",
    )  # fmt: skip
    assert code == 2
    assert "DATABASE_URL" in err and "env-required" in err
    assert sandbox.counters().get("bytes_uploaded", 0) == 0


def test_the_sandbox_demo_deploys_the_bundled_site_and_prints_its_url_last(
    capsys: pytest.CaptureFixture[str], http_get: Callable[..., httpx.Response]
) -> None:
    code = main(["deploy", "--sandbox", "--no-serve"], environ={"PATH": "/usr/bin:/bin"})
    out = capsys.readouterr().out
    assert code == 0
    assert out.strip().splitlines()[-1].startswith("http://demo.pages.localhost:")


def test_domains_output_is_json_with_the_records_still_needed(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out"
    output.touch()
    environ = {**cloudflare_env(sandbox), "GITHUB_OUTPUT": str(output)}
    assert run(capsys, environ, "deploy", str(make_site(tmp_path / "dist")), *COMMON)[0] == 0
    run(capsys, environ, "domains", "add", "www.far.localhost", *COMMON, "--timeout", "1")
    domains = json.loads(parse_github_output(output.read_text())["domains"])
    assert domains[0]["status"] == "pending" and domains[0]["records"][0]["type"] == "CNAME"


def test_sandbox_refuses_a_pull_request_number_below_one_before_starting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sandbox", "--pull-request", "0"], environ={"PATH": "/usr/bin:/bin"}) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: --pull-request: a pull request number is a positive integer"
    assert captured.out == ""


@pytest.mark.parametrize(
    ("failure", "first_line"),
    [
        (
            httpx.ConnectError("refused", request=httpx.Request("GET", "https://api.example/v1/x?q=1")),
            "network error: GET https://api.example/v1/x: ConnectError: refused",
        ),
        (
            AmbiguousOutcome("POST", "v1/things", httpx.ReadError("connection reset")),
            "network error: POST v1/things: ReadError: connection reset; it may or may not have been applied",
        ),
        (RuntimeError("a bug"), "internal error: RuntimeError: a bug"),
    ],
    ids=["no answer", "a write's answer lost", "a bug"],
)
def test_what_is_not_an_input_or_platform_error_is_still_one_line_and_exit_1(
    failure: Exception,
    first_line: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(*args: object, **kwargs: object) -> int:
        raise failure

    monkeypatch.setattr(dispatch, "run", fails)
    site = make_site(tmp_path / "dist")
    argv = ["deploy", str(site), "--platform", "cloudflare-pages", "--project", "shop", "--token", "t0ken"]
    code, _, err = run(capsys, {"PATH": "/usr/bin:/bin", "CI_DEPLOY_HEAD_START": "0"}, *argv)

    assert code == 1
    assert err.splitlines()[0] == f"error: ci-deploy: {first_line}"


def test_a_run_keeps_its_start_up_out_of_collections_and_leaves_nothing_frozen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The modules a run imports live as long as it does: frozen out of the cycle collector
    while it runs (collections stay on for what the run itself makes), and thawed when it ends,
    so a caller's objects (a test session's) are collected as before."""
    during: dict[str, object] = {}

    def deploys(*args: object, **kwargs: object) -> int:
        during.update(frozen=gc.get_freeze_count(), collecting=gc.isenabled())
        return 0

    monkeypatch.setattr(dispatch, "run", deploys)
    site = make_site(tmp_path / "dist")
    argv = ["deploy", str(site), "--platform", "cloudflare-pages", "--project", "shop", "--token", "t0ken"]
    code, _, _ = run(capsys, {"PATH": "/usr/bin:/bin", "CI_DEPLOY_HEAD_START": "0"}, *argv)

    assert code == 0
    assert during["collecting"] is True
    assert isinstance(during["frozen"], int) and during["frozen"] > 1000
    assert gc.get_freeze_count() == 0
