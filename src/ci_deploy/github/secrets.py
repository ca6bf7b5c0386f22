"""Writing Actions secrets and variables, of a repository or of one of its environments.

A secret is sealed (libsodium ``crypto_box_seal``, via PyNaCl, imported only here) to the
holder's public key (``GET …/secrets/public-key``) and written with ``PUT …/secrets/{name}``,
which creates or replaces it. A variable is read first: ``PATCH`` when it exists, ``POST`` when it
does not, so a second run updates and never duplicates. An environment is created (idempotent
``PUT /environments/{name}``) before its first write.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ci_deploy.errors import InputError
from ci_deploy.github.client import GitHubClient
from ci_deploy.github.errors import GitHubNotFoundError

SECRETS_WRITE = (
    "secrets: write (a fine-grained token's 'Secrets' permission, or a classic token's 'repo' scope)"
)
VARIABLES_WRITE = "variables: write (a fine-grained token's 'Variables' permission)"
ENVIRONMENTS_WRITE = "environments: write, and administration: write to create the environment"


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    key: str


def seal(value: str, public_key: str) -> str:
    """``value`` sealed to the base64 ``public_key`` (what GitHub's ``encrypted_value`` is)."""
    try:
        from nacl.public import PublicKey as NaclKey
        from nacl.public import SealedBox
    except ModuleNotFoundError:
        raise InputError(
            "writing GitHub secrets needs PyNaCl: pip install pynacl (it comes with ci-deploy)"
        ) from None
    box = SealedBox(NaclKey(base64.b64decode(public_key)))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")


class SecretsWriter:
    """Secrets and variables of ``client``'s repository, or of its ``environment``."""

    def __init__(self, client: GitHubClient, environment: str | None = None) -> None:
        self.client = client
        self.environment = environment
        self._key: PublicKey | None = None
        scope = f"/environments/{environment}" if environment else "/actions"
        self.prefix = f"{client.repo_path}{scope}"

    def _permission(self, default: str) -> str:
        return ENVIRONMENTS_WRITE if self.environment else default

    def ensure_environment(self) -> None:
        """Create the environment when one is addressed (a no-op when it exists)."""
        if self.environment:
            self.client.call(
                "PUT",
                f"{self.client.repo_path}/environments/{self.environment}",
                json={},
                what=f"create the environment '{self.environment}'",
                permission=ENVIRONMENTS_WRITE,
            )

    def public_key(self) -> PublicKey:
        """The holder's public key; also the cheap proof the token may manage its secrets."""
        if self._key is None:
            answer = self.client.call(
                "GET",
                f"{self.prefix}/secrets/public-key",
                what="read the Actions secrets' public key",
                permission=self._permission(SECRETS_WRITE),
            )
            self._key = PublicKey(str(answer["key_id"]), str(answer["key"]))
        return self._key

    def put_secret(self, name: str, value: str) -> None:
        key = self.public_key()
        self.client.call(
            "PUT",
            f"{self.prefix}/secrets/{name}",
            json={"encrypted_value": seal(value, key.key), "key_id": key.key_id},
            what=f"write the secret {name}",
            permission=self._permission(SECRETS_WRITE),
        )

    def variable(self, name: str) -> str | None:
        """The variable's current value, or None when it does not exist."""
        try:
            answer = self.client.call(
                "GET",
                f"{self.prefix}/variables/{name}",
                what=f"read the variable {name}",
                permission=self._permission(VARIABLES_WRITE),
            )
        except GitHubNotFoundError:
            return None
        return str(answer.get("value", ""))

    def put_variable(self, name: str, value: str) -> str:
        """Create or update ``name``; returns what happened: created, updated or unchanged."""
        current = self.variable(name)
        what, permission = f"write the variable {name}", self._permission(VARIABLES_WRITE)
        if current == value:
            return "unchanged"
        if current is None:
            self.client.call(
                "POST",
                f"{self.prefix}/variables",
                json={"name": name, "value": value},
                what=what,
                permission=permission,
                idempotent=False,
            )
            return "created"
        self.client.call(
            "PATCH",
            f"{self.prefix}/variables/{name}",
            json={"name": name, "value": value},
            what=what,
            permission=permission,
        )
        return "updated"
