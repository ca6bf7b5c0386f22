"""What ``connect`` knows of a platform: its names for the stored secret and variables (static,
declared by each platform in its :class:`~ci_deploy.platforms.base.PlatformSpec`) and the
:class:`Connector` that talks to its API (opened only when connecting)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ci_deploy.connect.device_flow import Clock

#: signs in with a platform's device flow: (client id, API URL or None, clock or None) -> token
DeviceLogin = Callable[[str, "str | None", "Clock | None"], str]

#: the variable every platform's workflows read the project name from
PROJECT_VARIABLE = "CI_DEPLOY_PROJECT"


@dataclass(frozen=True)
class Choice:
    """An account, team or project the token can reach: its id and the name a person knows."""

    id: str
    name: str

    def label(self) -> str:
        return self.name if self.name == self.id else f"{self.name} ({self.id})"


@dataclass(frozen=True)
class Permission:
    """One permission a deploy needs: how the platform's token form names it (what to tick)."""

    name: str
    #: the platform's key for it in a pre-filled token link, when it has one
    key: str = ""
    #: False: only some deploys need it (custom domains); its lack is a warning, not an error
    required: bool = True


@dataclass(frozen=True)
class Connection:
    """What ``connect`` stores: the secret (the token) and the variables, by their names; and the
    account they were found for."""

    secrets: Mapping[str, str]
    variables: Mapping[str, str]
    account: Choice


@dataclass(frozen=True)
class MintedToken:
    """A token ``connect`` made for CI: its value (registered for redaction by the minter the
    moment it arrives; only ever written as the secret) and what a person needs to find and
    revoke it."""

    value: str = field(repr=False)
    id: str
    name: str
    #: when it stops working (Unix ms), or None: never
    expires_at_ms: int | None
    #: which kind of token it is, in words ("Vercel token")
    kind: str
    #: how to revoke it, as an instruction ("delete it at <page>, or run `<command>`")
    revoke: str
    #: where a person sees and deletes the account's tokens of this kind
    tokens_page: str


class TokenMinter(Protocol):
    """Makes and revokes the lasting token CI stores, with the token of a device sign-in."""

    def create(self, name: str, account: Choice, expires_at_ms: int | None) -> MintedToken:
        """A new token named ``name`` for ``account``; raises
        :class:`~ci_deploy.errors.AuthError` when the platform refuses to make one."""
        ...

    def revoke(self, token: MintedToken) -> None: ...

    def revoke_earlier(self, kept: MintedToken) -> list[str]:
        """Revoke the other tokens named as ``kept`` (earlier connects' for the same secret,
        which now holds ``kept``); returns their ids."""
        ...

    def close(self) -> None: ...


class Connector(Protocol):
    """One platform's token verification and discovery. Every method raises
    :class:`~ci_deploy.errors.InputError` (exit 2) for a refused or unusable token."""

    def verify(self, account_hint: str | None) -> str:
        """Check the token is known and active; returns a short description of it."""
        ...

    def accounts(self) -> list[Choice]:
        """The accounts (or teams) the token reaches."""
        ...

    def projects(self, account: Choice) -> list[Choice]:
        """The account's projects; raises when the token may not list them (see :meth:`missing`)."""
        ...

    def missing(self, account: Choice) -> list[Permission]:
        """The permissions a deploy needs that the token lacks, each probed with one cheap read."""
        ...

    def token_link(self, missing: list[Permission], account: Choice) -> str:
        """Where to create a token with ``missing`` (and the rest of what a deploy needs) ticked."""
        ...

    def variables(self, account: Choice, project: Choice) -> dict[str, str]:
        """The non-secret ids the workflows read, by variable name."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ConnectSpec:
    """A platform's names for what ``connect`` stores and ``init``'s workflows read.

    ``token_secret`` is also the environment variable the token is read from;
    ``account_variable`` feeds the action's ``account`` input; ``open`` makes the
    :class:`Connector` from the token and the API base URL (None: the platform's own).
    ``device_login`` gets a token by the platform's OAuth device flow when a client id is
    configured (``--client-id`` or ``client_id_variable``); a platform without one says why
    in ``token_only``. A device sign-in's token expires, so when ``ci_token`` is set it is not
    stored: ``ci_token`` opens (with it and the API URL) the :class:`TokenMinter` that makes
    the lasting token the secret holds.
    """

    token_secret: str
    account_variable: str
    open: Callable[[str, str | None], Connector]
    #: the words a person uses for the account level ("account", "team")
    account_word: str = "account"
    device_login: DeviceLogin | None = None
    #: the environment variable with the project's OAuth client id for ``device_login``
    client_id_variable: str = ""
    #: why the platform takes only a token (no device flow), for a ``--client-id`` given to it
    token_only: str = ""
    ci_token: Callable[[str, str | None], TokenMinter] | None = None
