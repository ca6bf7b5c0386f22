"""The emulated Sentry web API (``http://sentry.localhost:<port>/api/0``): the release calls a
deploy makes, and the issue list an error watch reads.

Releases belong to an organization (any slug, unless the setting ``sentry.organizations`` maps
the known slugs to their project slugs: then any other answers 404) and carry their projects,
commits (``refs`` set with a PUT, as ``sentry-cli releases set-commits`` does) and deploys.
Creating a release that exists answers 208 and adds the projects, as Sentry does. Issues are
seeded with the setting ``sentry.issues`` (a list of ``{"project", "firstRelease", "title"}``)
and the crash-free rate with ``sentry.crash_free_sessions``, so a test or a demo can make a
release look bad over the control API. Errors use Sentry's ``{"detail": ...}`` envelope.
"""

from __future__ import annotations

import itertools
import time
import zlib
from typing import Any

from ci_deploy_sandbox import app

HOST = "sentry.localhost"
TOKEN = "sntrys_sandboxToken0123456789abcdef"
PREFIX = "/api/0"
JsonDict = dict[str, Any]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _error(status: int, detail: str) -> app.Response:
    return app.Response.json({"detail": detail}, status)


class SentryEmulator(app.ApiEmulator):
    name = "sentry"
    hosts = (HOST,)

    def __init__(self, world: app.World) -> None:
        super().__init__(world)
        self.router = app.Router(PREFIX)
        #: (org, version) -> release record
        self.releases: dict[str, JsonDict] = {}
        self._ids = itertools.count(1)
        org, release = "/organizations/{org}/releases", "/organizations/{org}/releases/{version}"
        add = self.router.add
        add("POST", f"{org}/", "sentry.releases.create", self._authed(self._create))
        add("GET", f"{release}/", "sentry.releases.get", self._authed(self._get))
        add("PUT", f"{release}/", "sentry.releases.update", self._authed(self._update))
        add("POST", f"{release}/deploys/", "sentry.deploys.create", self._authed(self._create_deploy))
        add("GET", f"{release}/deploys/", "sentry.deploys.list", self._authed(self._list_deploys))
        add("GET", f"{org}/", "sentry.releases.list", self._authed(self._list))
        add("GET", "/projects/{org}/{project}/releases/", "sentry.project.releases.list",
            self._authed(self._list))  # fmt: skip
        add("GET", "/projects/{org}/{project}/issues/", "sentry.issues.list", self._authed(self._issues))

    def error(self, request: app.Request, status: int, message: str) -> app.Response:
        return _error(status, message)

    def _authed(self, handler: app.Handler) -> app.Handler:
        def run(request: app.Request) -> app.Response:
            if request.bearer is None:
                return _error(401, "Authentication credentials were not provided.")
            if request.bearer != TOKEN:
                return _error(401, "Invalid token")
            if not self._known(request):
                return _error(404, "The requested resource does not exist")
            return handler(request)

        return run

    def _known(self, request: app.Request) -> bool:
        """Whether the organization (and project, when the path names one) exists."""
        known = self.world.setting("sentry.organizations")
        if not isinstance(known, dict):
            return True
        org, project = request.params.get("org"), request.params.get("project")
        return org in known and (project is None or project in (known[org] or []))

    def _list(self, request: app.Request) -> app.Response:
        """The organization's releases (or one project's), newest first, ``per_page`` of them."""
        org, project = request.params["org"], request.params.get("project")
        found = [
            _public(release)
            for key, release in self.releases.items()
            if key.startswith(f"{org}/") and (project is None or _has_project(release, project))
        ]
        text = request.arg("per_page") or ""
        limit = min(int(text), 100) if text.isdigit() and int(text) > 0 else 100
        return app.Response.json(list(reversed(found))[:limit])

    def _key(self, request: app.Request) -> str:
        return f"{request.params['org']}/{request.params['version']}"

    def _create(self, request: app.Request) -> app.Response:
        body = _body(request)
        version = str(body.get("version") or "")
        projects = body.get("projects")
        if not version or "/" in version or version.strip() != version:
            return app.Response.json({"version": ["Release with name is invalid."]}, 400)
        if not isinstance(projects, list) or not projects:
            return app.Response.json({"projects": ["This field is required."]}, 400)
        key = f"{request.params['org']}/{version}"
        existing = self.releases.get(key)
        if existing is not None:
            names = {p["slug"] for p in existing["projects"]}
            existing["projects"] += [_project(str(slug)) for slug in projects if slug not in names]
            return app.Response.json(_public(existing), 208)
        record: JsonDict = {
            "id": next(self._ids), "version": version, "shortVersion": version[:12],
            "ref": body.get("ref"), "url": body.get("url"), "dateCreated": _now(),
            "dateReleased": body.get("dateReleased"), "newGroups": 0, "commitCount": 0,
            "deployCount": 0, "lastDeploy": None, "projects": [_project(str(s)) for s in projects],
            "commits": [], "deploys": [],
        }  # fmt: skip
        self.releases[key] = record
        self.world.save()
        return app.Response.json(_public(record), 201)

    def _release(self, request: app.Request) -> JsonDict | None:
        return self.releases.get(self._key(request))

    def _get(self, request: app.Request) -> app.Response:
        release = self._release(request)
        if release is None:
            return _error(404, "The requested resource does not exist")
        public = _public(release)
        public["newGroups"] = len(self._seeded(release["version"]))
        if request.arg("health") == "1":
            rate = self.world.setting("sentry.crash_free_sessions")
            for project in public["projects"]:
                project["hasHealthData"] = rate is not None
                project["healthData"] = {"crashFreeSessions": rate, "sessionsCrashed": 0}
        return app.Response.json(public)

    def _update(self, request: app.Request) -> app.Response:
        release = self._release(request)
        if release is None:
            return _error(404, "The requested resource does not exist")
        body = _body(request)
        refs = body.get("refs")
        if refs is not None:
            if not isinstance(refs, list) or not all(isinstance(r, dict) and r.get("commit") for r in refs):
                return app.Response.json({"refs": ["Invalid refs."]}, 400)
            release["commits"] = [{"id": r["commit"], "repository": r.get("repository")} for r in refs]
            release["commitCount"] = len(release["commits"])
        for field in ("dateReleased", "url", "ref"):
            if field in body:
                release[field] = body[field]
        self.world.save()
        return app.Response.json(_public(release))

    def _create_deploy(self, request: app.Request) -> app.Response:
        release = self._release(request)
        if release is None:
            return _error(404, "The requested resource does not exist")
        body = _body(request)
        if not body.get("environment"):
            return app.Response.json({"environment": ["This field is required."]}, 400)
        deploy = {
            "id": str(next(self._ids)), "environment": body["environment"], "name": body.get("name"),
            "url": body.get("url"), "dateStarted": body.get("dateStarted"),
            "dateFinished": body.get("dateFinished") or _now(), "projects": body.get("projects"),
        }  # fmt: skip
        release["deploys"].append(deploy)
        release["deployCount"] = len(release["deploys"])
        release["lastDeploy"] = deploy
        self.world.save()
        return app.Response.json(deploy, 201)

    def _list_deploys(self, request: app.Request) -> app.Response:
        release = self._release(request)
        if release is None:
            return _error(404, "The requested resource does not exist")
        return app.Response.json(list(reversed(release["deploys"])))

    def _issues(self, request: app.Request) -> app.Response:
        """Only the ``firstRelease:<version>`` query is understood (quotes optional)."""
        query = request.arg("query", "") or ""
        prefix = "firstRelease:"
        if not query.startswith(prefix):
            return app.Response.json([])
        version = query[len(prefix) :].strip().strip('"')
        project = request.params["project"]
        found = [i for i in self._seeded(version) if i.get("project") in (None, project)]
        return app.Response.json(found)

    def _seeded(self, version: str) -> list[JsonDict]:
        issues = self.world.setting("sentry.issues") or []
        matching = [i for i in issues if isinstance(i, dict) and i.get("firstRelease") == version]
        return [
            {"id": str(n), "shortId": f"SANDBOX-{n}", "title": i.get("title", "Error"),
             "project": i.get("project"), "firstRelease": {"version": version}, "count": "1",
             "status": "unresolved"}
            for n, i in enumerate(matching, start=1)
        ]  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        return {"releases": self.releases}

    def restore(self, data: dict[str, Any]) -> None:
        self.releases = dict(data.get("releases") or {})
        top = max((int(r["id"]) for r in self.releases.values()), default=0)
        self._ids = itertools.count(top + 1000)


def _body(request: app.Request) -> JsonDict:
    try:
        body = request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _project(slug: str) -> JsonDict:
    return {"id": str(zlib.crc32(slug.encode()) % 10**6), "slug": slug, "name": slug}


def _has_project(release: JsonDict, slug: str) -> bool:
    return any(project["slug"] == slug for project in release["projects"])


def _public(release: JsonDict) -> JsonDict:
    """The release as Sentry answers it (without the sandbox's lists)."""
    public = {k: v for k, v in release.items() if k not in ("commits", "deploys")}
    public["projects"] = [dict(p) for p in release["projects"]]
    return public
