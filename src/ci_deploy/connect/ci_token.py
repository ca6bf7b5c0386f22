"""The lasting token CI stores after a device sign-in, in place of the sign-in's own.

A device sign-in's token expires (Vercel's within hours) and a repository secret is never
refreshed, so stored it would break the workflows' deploys a little later. After a sign-in,
``connect`` therefore makes a token for CI with it (the platform's
:class:`~ci_deploy.connect.model.TokenMinter`) and stores that one: named ``ci-deploy
<owner/repo>`` (plus the GitHub environment, when one is written to) so a person finds it in
the platform's token list by what it deploys, of the chosen account's scope, expiring after
``--token-expiry DAYS`` or never. It is made only after every check passed, just before the
secret is written, so a platform refusing to make one leaves nothing written; when the secret
cannot be written it is revoked again (its value is lost). Once it is written, the earlier
tokens of its name are revoked: earlier connects made them for this same secret, and their values
were stored nowhere else, so running ``connect`` again replaces the token instead of adding one.
``--dry-run`` makes none. ``connect`` says which token it made (name, id, expiry) and how to
revoke it, and which earlier ones it revoked; no value is ever shown.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from ci_deploy.connect.model import Choice, MintedToken, TokenMinter
from ci_deploy.errors import CiDeployError, InputError

DAY_MS = 86_400_000


def token_name(repository: str, environment: str | None) -> str:
    return f"ci-deploy {repository}" + (f" ({environment})" if environment else "")


def expiry_days(raw: str | None) -> int | None:
    """``--token-expiry``: a whole number of days, 1 or more (None: the token never expires)."""
    if raw is None:
        return None
    if not raw.strip().isdigit() or int(raw) < 1:
        raise InputError(f"--token-expiry {raw}: expected a whole number of days, 1 or more")
    return int(raw)


def _expiry(expires_at_ms: int | None) -> str:
    if expires_at_ms is None:
        return "never expires"
    return "expires " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at_ms / 1000))


@dataclass(frozen=True)
class LastingToken:
    """The token to make for CI, before it is made: with which sign-in, for which account,
    under which name, and the secret it becomes."""

    open: Callable[[str, str | None], TokenMinter]
    session_token: str
    api_url: str | None
    account: Choice
    secret: str
    name: str
    days: int | None = None

    def planned(self) -> str:
        """What a dry run says instead of making it."""
        lasting = f"expiring after {self.days} days" if self.days else "never expiring"
        return (
            f"would create a token named '{self.name}' for {self.account.label()} ({lasting}), "
            f"store it as the secret {self.secret} (not the sign-in's own token, which expires) and "
            "revoke the earlier tokens of that name"
        )

    def create(self) -> MintedToken:
        """Make it and say so (name, id, expiry, how to revoke it; never the value)."""
        expires = None if self.days is None else int(time.time() * 1000) + self.days * DAY_MS
        minter = self.open(self.session_token, self.api_url)
        try:
            token = minter.create(self.name, self.account, expires)
        finally:
            minter.close()
        print(
            f"created {token.kind} '{token.name}' (id {token.id}, {_expiry(token.expires_at_ms)}) "
            f"for CI: it is the secret {self.secret}, not the sign-in's own token, which expires"
        )
        print(f"to revoke it: {token.revoke}")
        return token

    def retire_earlier(self, token: MintedToken) -> None:
        """Revoke the earlier tokens of ``token``'s name, now that the secret holds ``token``;
        says what it did, never raises: the connect itself is done."""
        minter = self.open(self.session_token, self.api_url)
        try:
            revoked = minter.revoke_earlier(token)
        except CiDeployError as error:
            print(
                f"warning: the earlier {token.kind}s named '{token.name}' could not be looked up or "
                f"revoked ({error}): the secret {self.secret} holds the new one (id {token.id}); "
                f"delete the others at {token.tokens_page}",
                file=sys.stderr,
            )
            return
        finally:
            minter.close()
        if revoked:
            ids = ", ".join(revoked)
            print(f"revoked the earlier {token.kind}s named '{token.name}' (ids {ids}): replaced by it")

    def revoke(self, token: MintedToken) -> None:
        """Revoke a token that could not be stored; says so either way, never raises."""
        minter = self.open(self.session_token, self.api_url)
        try:
            minter.revoke(token)
        except CiDeployError as error:
            print(
                f"warning: the {token.kind} '{token.name}' (id {token.id}) was not stored and could "
                f"not be revoked ({error}): {token.revoke}",
                file=sys.stderr,
            )
            return
        finally:
            minter.close()
        print(f"revoked the {token.kind} '{token.name}' (id {token.id}): it was not stored", file=sys.stderr)
