"""The emulated Sentry web API through the running sandbox: releases (created 201, found 208),
commits, deploys, release health, issues by first release, the release lists a preflight reads,
authentication and unknown organizations in Sentry's ``{"detail": ...}`` shape, and faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from loopback import loopback_client

from ci_deploy_sandbox.runtime import Sandbox

ORG, PROJECT, VERSION = "acme", "shop-web", "shop@" + "a" * 40
RELEASES = f"/api/0/organizations/{ORG}/releases/"
RELEASE = f"{RELEASES}shop%40{'a' * 40}/"


@pytest.fixture
def sentry(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client of the sandbox's Sentry, authenticated with its token."""
    headers = {"Authorization": f"Bearer {sandbox.tokens['sentry']}"}
    with loopback_client(base_url=sandbox.sentry_url, headers=headers, timeout=10.0) as client:
        yield client


def create(sentry: httpx.Client, *projects: str) -> httpx.Response:
    return sentry.post(RELEASES, json={"version": VERSION, "projects": list(projects or [PROJECT])})


def test_creating_a_release_answers_201_then_208_and_adds_new_projects(sentry: httpx.Client) -> None:
    first = create(sentry)
    again = create(sentry, PROJECT, "shop-api")
    assert (first.status_code, again.status_code) == (201, 208)
    assert first.json()["version"] == VERSION and first.json()["dateReleased"] is None
    assert [p["slug"] for p in again.json()["projects"]] == [PROJECT, "shop-api"]
    assert "commits" not in again.json() and "deploys" not in again.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"projects": [PROJECT]}, "version"), ({"version": "a/b", "projects": [PROJECT]}, "version"),
     ({"version": VERSION}, "projects")],
)  # fmt: skip
def test_a_release_without_a_valid_version_or_projects_is_a_400_naming_the_field(
    sentry: httpx.Client, body: dict[str, object], field: str
) -> None:
    answer = sentry.post(RELEASES, json=body)
    assert answer.status_code == 400 and list(answer.json()) == [field]


def test_set_commits_and_finalize_update_the_release(sandbox: Sandbox, sentry: httpx.Client) -> None:
    create(sentry)
    refs = [{"repository": "acme/shop", "commit": "a" * 40}]
    assert sentry.put(RELEASE, json={"refs": refs}).json()["commitCount"] == 1
    assert sentry.put(RELEASE, json={"dateReleased": "2030-01-01T00:00:00Z"}).status_code == 200
    assert sentry.put(RELEASE, json={"refs": [{"repository": "acme/shop"}]}).status_code == 400
    stored = sandbox.world.apis["sentry"].releases[f"{ORG}/{VERSION}"]  # type: ignore[attr-defined]
    assert stored["commits"] == [{"id": "a" * 40, "repository": "acme/shop"}]
    assert stored["dateReleased"] == "2030-01-01T00:00:00Z"


def test_deploys_are_recorded_per_environment_and_listed_newest_first(sentry: httpx.Client) -> None:
    create(sentry)
    for environment in ("pr-7", "production"):
        made = sentry.post(f"{RELEASE}deploys/", json={"environment": environment, "url": "http://x"})
        assert made.status_code == 201 and made.json()["dateFinished"]
    assert sentry.post(f"{RELEASE}deploys/", json={}).json() == {"environment": ["This field is required."]}
    listed = sentry.get(f"{RELEASE}deploys/").json()
    assert [d["environment"] for d in listed] == ["production", "pr-7"]
    assert sentry.get(RELEASE).json()["deployCount"] == 2


def test_release_health_reports_the_crash_free_rate_set_over_the_control_api(
    sandbox: Sandbox, sentry: httpx.Client
) -> None:
    create(sentry)
    without = sentry.get(RELEASE, params={"health": "1"}).json()["projects"][0]
    assert without["hasHealthData"] is False and without["healthData"]["crashFreeSessions"] is None
    sandbox.set("sentry.crash_free_sessions", 97.5)
    project = sentry.get(RELEASE, params={"health": "1"}).json()["projects"][0]
    assert project["hasHealthData"] is True and project["healthData"]["crashFreeSessions"] == 97.5
    assert "healthData" not in sentry.get(RELEASE).json()["projects"][0]


def test_issues_are_listed_by_first_release_and_project(sandbox: Sandbox, sentry: httpx.Client) -> None:
    sandbox.set(
        "sentry.issues",
        [{"firstRelease": VERSION, "title": "TypeError"}, {"firstRelease": "other", "title": "Old"},
         {"firstRelease": VERSION, "project": "shop-api", "title": "Elsewhere"}],
    )  # fmt: skip
    path = f"/api/0/projects/{ORG}/{PROJECT}/issues/"
    found = sentry.get(path, params={"query": f'firstRelease:"{VERSION}"'}).json()
    assert [(i["shortId"], i["title"]) for i in found] == [("SANDBOX-1", "TypeError")]
    assert sentry.get(path, params={"query": "is:unresolved"}).json() == []
    create(sentry)
    assert sentry.get(RELEASE).json()["newGroups"] == 2


def test_the_release_lists_answer_newest_first_for_the_org_and_for_one_project(sentry: httpx.Client) -> None:
    create(sentry)
    sentry.post(RELEASES, json={"version": "v2", "projects": ["shop-api"]})
    assert [r["version"] for r in sentry.get(RELEASES).json()] == ["v2", VERSION]
    assert [r["version"] for r in sentry.get(RELEASES, params={"per_page": "1"}).json()] == ["v2"]
    mine = sentry.get(f"/api/0/projects/{ORG}/{PROJECT}/releases/").json()
    assert [r["version"] for r in mine] == [VERSION]


def test_known_organizations_make_any_other_org_or_project_a_404(
    sandbox: Sandbox, sentry: httpx.Client
) -> None:
    sandbox.set("sentry.organizations", {ORG: [PROJECT]})
    assert sentry.get(f"/api/0/projects/{ORG}/{PROJECT}/releases/").status_code == 200
    for path in (f"/api/0/projects/{ORG}/nope/releases/", "/api/0/organizations/nope/releases/"):
        answer = sentry.get(path)
        assert answer.status_code == 404
        assert answer.json() == {"detail": "The requested resource does not exist"}


@pytest.mark.parametrize(
    ("headers", "detail"),
    [({}, "Authentication credentials were not provided."),
     ({"Authorization": "Bearer sntrys_wrong"}, "Invalid token")],
)  # fmt: skip
def test_a_missing_or_wrong_token_is_a_401_in_sentrys_shape_and_changes_nothing(
    sandbox: Sandbox, headers: dict[str, str], detail: str
) -> None:
    with loopback_client(base_url=sandbox.sentry_url, headers=headers) as client:
        answer = client.post(RELEASES, json={"version": VERSION, "projects": [PROJECT]})
    assert answer.status_code == 401 and answer.json() == {"detail": detail}
    assert sandbox.world.apis["sentry"].releases == {}  # type: ignore[attr-defined]


def test_faults_apply_by_endpoint_in_sentrys_shape_and_are_logged(
    sandbox: Sandbox, sentry: httpx.Client
) -> None:
    sandbox.inject("status=503@sentry.releases.create,count=1")
    failed, created = create(sentry), create(sentry)
    assert failed.status_code == 503 and failed.headers["retry-after"] == "1"
    assert "injected by the sandbox" in failed.json()["detail"]
    assert created.status_code == 201
    logged = [(e.endpoint, e.status, e.fault is not None) for e in sandbox.log()]
    assert logged == [("sentry.releases.create", 503, True), ("sentry.releases.create", 201, False)]
