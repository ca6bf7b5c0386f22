"""The Sentry check a deploy makes before its first write: are the token, organization and
project right? Sentry refusing them is bad input (exit 2, naming the input, nothing deployed);
Sentry being unreachable is not the deploy's problem: the calls are retried within the client's
budget, then a warning, and the deploy goes on.
"""

from __future__ import annotations

import logging

from ci_deploy import runner
from ci_deploy.errors import AuthError, NotFoundError
from ci_deploy.observe.sentry import SentryClient, SentryError

log = logging.getLogger("ci_deploy.observe.access")


def check_access(client: SentryClient) -> None:
    """One read of the project's releases; on 404 one of the organization's, to name the input
    that is wrong. Raises an InputError for 401/403/404; warns for anything else."""
    plan = client.plan
    try:
        client.project_releases()
    except SentryError as error:
        if error.status == 404:
            _name_the_missing(client)
        else:
            _refuse_or_warn(error, f"{plan.org}/{plan.project}")
        return
    log.info("Sentry accepts the token for %s/%s", plan.org, plan.project)


def _name_the_missing(client: SentryClient) -> None:
    """The project's list was 404: the organization's list says which slug is wrong."""
    plan = client.plan
    try:
        client.organization_releases()
    except SentryError as error:
        if error.status == 404:
            raise NotFoundError(
                f"Sentry has no organization '{plan.org}' this token can see (404); use the slug in "
                f"the organization's Sentry URL",
                input_name="sentry-org",
            ) from None
        _refuse_or_warn(error, plan.org)
        return
    raise NotFoundError(
        f"Sentry organization '{plan.org}' has no project '{plan.project}' (404); use the project's "
        f"slug from its Sentry settings",
        input_name="sentry-project",
    )


def _refuse_or_warn(error: SentryError, where: str) -> None:
    if error.status in (401, 403):
        raise AuthError(
            f"Sentry refused the token for {where} ({error}); use an organization auth token, or a "
            f"token with the project:releases scope",
            input_name="sentry-token",
        ) from None
    runner.warning(
        f"Sentry: {error}; the token could not be checked before the deploy, the release will be "
        f"tried after it",
        title="ci-deploy",
    )
