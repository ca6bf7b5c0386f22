"""A small client of Sentry's web API (``/api/0``): the release calls a deploy needs.

Each method is one documented call; answers are interpreted by status here and nowhere else.
Creating a release is idempotent on Sentry's side (201 created, 208 already there), so it is
safe to retry; a deploy record is not, so its POST is retried only when Sentry provably did not
get it. Failures raise :class:`SentryError` with one line fit for a warning: token never shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from ci_deploy.foreign_text import one_line
from ci_deploy.http import AmbiguousOutcome, RetryPolicy, new_client, send
from ci_deploy.observe.model import SentryPlan

#: Sentry's calls are not worth a long wait: a few quick retries, then a warning
RETRY = RetryPolicy(budget=10.0, attempts=3, base_delay=0.5, max_delay=4.0)


class SentryError(Exception):
    """A Sentry call failed; the message names the call and Sentry's reason. ``status`` is
    Sentry's answer, None when none came (a network fault)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SentryClient:
    """Calls for one organization and project, authenticated with a bearer token."""

    def __init__(self, plan: SentryPlan, token: str, *, client: httpx.Client | None = None) -> None:
        self.plan = plan
        self._client = client or new_client(
            f"{plan.url.rstrip('/')}/api/0", headers={"Authorization": f"Bearer {token}"}, timeout=20.0
        )

    def close(self) -> None:
        self._client.close()

    @property
    def _release_path(self) -> str:
        return f"/organizations/{quote(self.plan.org)}/releases/{quote(self.plan.version, safe='')}/"

    def create_release(self) -> dict[str, Any]:
        """``POST /organizations/{org}/releases/``: 201 when new, 208 when it already exists."""
        body = {"version": self.plan.version, "projects": [self.plan.project], "ref": self.plan.commit}
        path = f"/organizations/{quote(self.plan.org)}/releases/"
        return _object(self._call("create the release", "POST", path, body, ok=(201, 208)))

    def set_commits(self) -> dict[str, Any]:
        """``PUT …/releases/{version}/`` with ``refs``: Sentry reads the commits from the
        repository integration (it answers 400 when the repository is not linked)."""
        refs = [{"repository": self.plan.repository, "commit": self.plan.commit}]
        return _object(self._call("attach commits", "PUT", self._release_path, {"refs": refs}))

    def create_deploy(self, url: str, started: str, finished: str) -> dict[str, Any]:
        """``POST …/releases/{version}/deploys/``: one deploy record for this environment."""
        body = {
            "environment": self.plan.environment,
            "name": f"{self.plan.environment} {self.plan.commit[:7]}",
            "projects": [self.plan.project],
            "dateStarted": started,
            "dateFinished": finished,
        }
        if url:
            body["url"] = url
        path = self._release_path + "deploys/"
        return _object(self._call("record the deploy", "POST", path, body, idempotent=False))

    def finalize(self, released: str) -> dict[str, Any]:
        """``PUT …/releases/{version}/`` with ``dateReleased``: the release went live."""
        return _object(
            self._call("finalize the release", "PUT", self._release_path, {"dateReleased": released})
        )

    def project_releases(self) -> list[Any]:
        """``GET /projects/{org}/{project}/releases/?per_page=1``: a read that proves the token,
        organization and project at once, with the scopes a release needs (``project:releases``
        or an organization token's ``org:ci``; ``GET /organizations/{org}/`` would need ``org:read``)."""
        path = f"/projects/{quote(self.plan.org)}/{quote(self.plan.project)}/releases/"
        found = self._call("read the project's releases", "GET", path, params={"per_page": "1"})
        return found if isinstance(found, list) else []

    def organization_releases(self) -> list[Any]:
        """``GET /organizations/{org}/releases/?per_page=1``: tells a wrong organization from a
        wrong project after the project's list answered 404."""
        path = f"/organizations/{quote(self.plan.org)}/releases/"
        found = self._call("read the organization's releases", "GET", path, params={"per_page": "1"})
        return found if isinstance(found, list) else []

    def new_issues(self) -> list[dict[str, Any]]:
        """``GET /projects/{org}/{project}/issues/?query=firstRelease:{version}``: issues first
        seen in this release (the first page, up to 100, is enough to judge a threshold)."""
        path = f"/projects/{quote(self.plan.org)}/{quote(self.plan.project)}/issues/"
        params = {"query": f'firstRelease:"{self.plan.version}"', "limit": "100", "statsPeriod": "24h"}
        found = self._call("list the release's new issues", "GET", path, params=params)
        return [issue for issue in found if isinstance(issue, dict)] if isinstance(found, list) else []

    def crash_free_sessions(self) -> float | None:
        """The project's crash-free session rate in this release (percent), None without sessions."""
        release = self._call("read release health", "GET", self._release_path, params={"health": "1"})
        for project in release.get("projects") or []:
            if isinstance(project, dict) and project.get("slug") == self.plan.project:
                rate = (project.get("healthData") or {}).get("crashFreeSessions")
                return float(rate) if isinstance(rate, int | float) else None
        return None

    def _call(
        self,
        what: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
        idempotent: bool = True,
    ) -> Any:
        """One call; the decoded JSON answer (a dict for every call but the issue list)."""
        try:
            response = send(
                self._client, method, path, retry=RETRY, idempotent=idempotent, json=body, params=params
            )
        except AmbiguousOutcome as exc:
            raise SentryError(
                f"could not {what}: the connection broke after sending; not sent again"
            ) from exc
        except httpx.HTTPError as exc:
            raise SentryError(f"could not {what}: {type(exc).__name__}") from exc
        if response.status_code not in ok:
            raise SentryError(
                f"could not {what}: Sentry answered {response.status_code} {_reason(response)}",
                response.status_code,
            )
        try:
            return response.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
            raise SentryError(f"could not {what}: Sentry's answer is not JSON") from None


def _object(answer: Any) -> dict[str, Any]:
    return answer if isinstance(answer, dict) else {}


def _reason(response: httpx.Response) -> str:
    """Sentry's ``{"detail": ...}`` (or a field's first complaint), clipped to one line."""
    try:
        payload = response.json()
    except (ValueError, RecursionError):
        return ""
    detail: Any = payload.get("detail") if isinstance(payload, dict) else None
    if detail is None and isinstance(payload, dict) and payload:
        field, complaints = next(iter(payload.items()))
        detail = f"{field}: {complaints[0] if isinstance(complaints, list) and complaints else complaints}"
    text = one_line(str(detail or ""), 160)
    return f"({text})" if text else ""
