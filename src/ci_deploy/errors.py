"""One exception tree for everything a user can be told.

Every error carries a one-line ``message`` (what failed and how to fix it), the ``input`` at
fault when there is one, optional multi-line ``details`` shown after the first line, and the
process exit code: 2 for bad input found before the first write to a platform, 1 for a
failure after it. ``cli.main`` is the only place that turns these into output and exit codes.

Both texts are made fit to print when the error is made (:mod:`ci_deploy.foreign_text`): the
message one redacted line of bounded length, the details bounded lines, whatever a platform put
into them. Every channel an error reaches (the log, the summary, the PR comment, a webhook)
shows them as they are here.
"""

from __future__ import annotations

from ci_deploy.foreign_text import DETAILS_LIMIT, LINE_LIMIT, block, one_line


class CiDeployError(Exception):
    """Base of every error ci-deploy reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, input_name: str | None = None, details: str = "") -> None:
        self.message = one_line(message, LINE_LIMIT)
        super().__init__(self.message)
        self.input_name = input_name
        self.details = block(details, DETAILS_LIMIT)

    def __str__(self) -> str:
        if self.input_name and not self.message.startswith(f"input '{self.input_name}'"):
            return f"input '{self.input_name}': {self.message}"
        return self.message


class InputError(CiDeployError):
    """Bad input or configuration, found before anything was changed (exit 2)."""

    exit_code = 2


class ArtifactError(InputError):
    """The artifact cannot be deployed as given (hostile archive member, missing folder, ...)."""


class ArtifactChanged(CiDeployError):
    """A file of the artifact changed or vanished while the run was deploying it (a build still
    writing there): found after the first write, so exit 1."""


class LimitError(InputError):
    """A platform limit would be broken; names the limit and the file that breaks it."""


class AuthError(InputError):
    """The platform or GitHub refused the token (401/403) before anything was written."""


class NotFoundError(InputError):
    """A project, deployment or artifact the user named does not exist."""


class PlatformError(CiDeployError):
    """The platform answered with an error after retries (exit 1)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        input_name: str | None = None,
        details: str = "",
    ) -> None:
        super().__init__(message, input_name=input_name, details=details)
        self.status = status
        self.code = code


class DeployFailed(CiDeployError):
    """The platform built or activated the deployment and reported failure (exit 1)."""


class DeployTimeout(CiDeployError):
    """The deployment did not reach a final state within ``timeout`` (exit 1)."""


class HealthCheckFailed(CiDeployError):
    """The live site did not pass its health checks (exit 1)."""
