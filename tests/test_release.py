"""The release pipeline: the workflow lints, pins every action and grants each job only what it
needs, and scripts/release_action_yml.py turns main's action.yml into a release's."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from test_lint import ROOT, run, tool

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = "ghcr.io/acme/ci-deploy:1.2.3"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_action_yml", ROOT / "scripts" / "release_action_yml.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = load_script()


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(action + "@")]


def test_release_workflow_matches_githubs_workflow_schema() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(RELEASE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_workflow_passes_zizmor() -> None:
    result = run(tool("zizmor"), "--offline", str(RELEASE))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [RELEASE, ROOT / ".github" / "workflows" / "ci.yml"], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment(path: Path) -> None:
    uses_lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert uses_lines
    for line in uses_lines:
        assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_the_release_runs_on_version_tags_only_and_grants_nothing_by_default() -> None:
    loaded = workflow()
    assert loaded[True] == {"push": {"tags": ["v*.*.*"]}}  # PyYAML reads the key `on` as True
    assert loaded["permissions"] == {}


def test_each_job_gets_only_the_permissions_it_uses() -> None:
    jobs = workflow()["jobs"]
    assert jobs["image"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    }
    assert jobs["publish"]["permissions"] == {"contents": "write"}


def test_the_image_is_multi_arch_with_provenance_sbom_and_a_registry_attestation() -> None:
    image = workflow()["jobs"]["image"]
    assert steps_using(image, "docker/setup-qemu-action") and steps_using(image, "docker/setup-buildx-action")
    (build,) = steps_using(image, "docker/build-push-action")
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["push"] is True
    assert build["with"]["provenance"] == "mode=max" and build["with"]["sbom"] is True
    assert build["with"]["tags"] == "${{ steps.names.outputs.image }}:${{ steps.names.outputs.version }}"
    (attest,) = steps_using(image, "actions/attest-build-provenance")
    assert attest["with"] == {
        "subject-name": "${{ steps.names.outputs.image }}",
        "subject-digest": "${{ steps.build.outputs.digest }}",
        "push-to-registry": True,
    }


def test_run_scripts_read_expressions_from_env_never_inline() -> None:
    for job in workflow()["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def test_publish_pins_action_yml_then_moves_the_version_and_major_tags() -> None:
    scripts = "\n".join(step.get("run", "") for step in workflow()["jobs"]["publish"]["steps"])
    assert 'scripts/release_action_yml.py --image "$IMAGE:$VERSION" --digest "$DIGEST"' in scripts
    assert 'git tag --force "$tag" HEAD' in scripts and "git push --force origin" in scripts
    assert 'tags+=("v${BASH_REMATCH[1]}")' in scripts  # v1 only for a final release


def test_main_keeps_building_the_dockerfile() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_release_script_changes_only_the_runs_image_line(tmp_path: Path) -> None:
    original = (ROOT / "action.yml").read_text(encoding="utf-8")
    target = tmp_path / "action.yml"
    target.write_text(original, encoding="utf-8")

    assert script.main(["--image", IMAGE, "--digest", DIGEST, "--action-yml", str(target)]) == 0

    before, after = original.splitlines(), target.read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [("  image: Dockerfile", f"  image: docker://{IMAGE}@{DIGEST}")]
    released = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert released["runs"] == {"using": "docker", "image": f"docker://{IMAGE}@{DIGEST}"}


def test_released_action_yml_matches_githubs_action_schema(tmp_path: Path) -> None:
    target = tmp_path / "action.yml"
    target.write_text((ROOT / "action.yml").read_text(encoding="utf-8"), encoding="utf-8")
    assert script.main(["--image", IMAGE, "--digest", DIGEST, "--action-yml", str(target)]) == 0
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(target))
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_script_repins_an_already_released_action_yml() -> None:
    first = script.pin_image(
        "name: x\nruns:\n  using: docker\n  image: Dockerfile\n", f"docker://{IMAGE}@{DIGEST}"
    )
    again = script.pin_image(first, f"docker://ghcr.io/acme/ci-deploy:1.2.4@{DIGEST}")
    assert (
        again == f"name: x\nruns:\n  using: docker\n  image: docker://ghcr.io/acme/ci-deploy:1.2.4@{DIGEST}\n"
    )


@pytest.mark.parametrize(
    ("image", "digest", "complaint"),
    [
        ("ghcr.io/Acme/ci-deploy:1.2.3", DIGEST, "--image"),
        ("ghcr.io/acme/ci-deploy", DIGEST, "--image"),
        (IMAGE, "sha256:abc", "--digest"),
        (IMAGE, DIGEST.upper(), "--digest"),
        (IMAGE, "", "--digest"),
    ],
)
def test_release_script_refuses_a_bad_image_or_digest_and_leaves_the_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], image: str, digest: str, complaint: str
) -> None:
    target = tmp_path / "action.yml"
    target.write_text("runs:\n  using: docker\n  image: Dockerfile\n", encoding="utf-8")
    before = target.read_text(encoding="utf-8")

    assert script.main(["--image", image, "--digest", digest, "--action-yml", str(target)]) == 2

    assert target.read_text(encoding="utf-8") == before
    assert capsys.readouterr().err.startswith(f"error: {complaint} ")


@pytest.mark.parametrize(
    ("action_yml", "complaint"),
    [
        ("name: x\n", "no top-level `runs:`"),
        ("name: x\nruns:\n  using: node20\n  main: index.js\n", "not `using: docker`"),
        ("name: x\nruns:\n  using: docker\n", "found 0"),
    ],
)
def test_release_script_refuses_an_action_yml_it_cannot_pin(action_yml: str, complaint: str) -> None:
    with pytest.raises(script.ReleaseError, match=re.escape(complaint)):
        script.pin_image(action_yml, f"docker://{IMAGE}@{DIGEST}")
