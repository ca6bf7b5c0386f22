"""``ci-deploy connect PLATFORM``: a platform token in, the repository's secrets and variables out.

Everything that can fail on input is checked before the first write: the GitHub token and
repository, the platform token (verified), the account and project (discovered), the
permissions a deploy needs (probed), and the repository's secrets public key (the proof the
GitHub token may manage them). Only then are the secret and variables written; ``--dry-run``
stops before that and says what would be written. After a device sign-in the secret is not the
sign-in's token, which expires, but one made for CI just before it is written
(:mod:`ci_deploy.connect.ci_token`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from ci_deploy import redaction
from ci_deploy.connect import github_target
from ci_deploy.connect.ci_token import LastingToken, expiry_days, token_name
from ci_deploy.connect.model import PROJECT_VARIABLE, Choice, Connection, Connector, ConnectSpec
from ci_deploy.connect.prompt import Asker
from ci_deploy.errors import AuthError, InputError

if TYPE_CHECKING:
    from ci_deploy.github.secrets import SecretsWriter


@dataclass(frozen=True)
class ConnectOptions:
    platform: str
    account: str | None = None
    project: str | None = None
    repo: str | None = None
    environment: str | None = None
    token_stdin: bool = False
    dry_run: bool = False
    #: the project's OAuth app client ids, for the device flows (else from the environment)
    client_id: str | None = None
    github_client_id: str | None = None
    #: ``--token-expiry DAYS``: when the token made for CI after a device sign-in expires
    token_expiry: str | None = None


def run_connect(
    options: ConnectOptions, environ: Mapping[str, str], asker: Asker, stdin: TextIO | None = None
) -> int:
    from ci_deploy.platforms import platform_spec

    platform = platform_spec(options.platform)
    spec = platform.connect
    repository = github_target.repository(options.repo, environ)
    days = expiry_days(options.token_expiry)
    api_url = environ.get(platform.env_fallbacks.get("api-url", "")) or None
    client_id = device_client_id(spec, options.client_id, environ)
    given = options.token_stdin or environ.get(spec.token_secret, "").strip()
    login = spec.device_login if client_id and not given else None
    mint = spec.ci_token if login is not None else None
    if days is not None and mint is None:
        raise InputError(
            "--token-expiry: only the token connect makes after a device sign-in gets one; "
            "a token you give keeps the expiry it was created with"
        )
    gh_token = github_target.github_token(environ, options.github_client_id)
    redaction.register(gh_token)
    if login is not None:
        token = login(client_id, api_url, None)
    else:
        token = platform_token(spec, options.token_stdin, environ, asker, stdin or sys.stdin)
    connector = spec.open(token, api_url)
    try:
        connection = discover(connector, spec, token, options, asker)
    finally:
        connector.close()
    if mint is None:
        return write(connection, repository, gh_token, options, environ)
    name = token_name(repository, options.environment)
    lasting = LastingToken(mint, token, api_url, connection.account, spec.token_secret, name, days)
    return write(replace(connection, secrets={}), repository, gh_token, options, environ, lasting)


def device_client_id(spec: ConnectSpec, flag: str | None, environ: Mapping[str, str]) -> str:
    """The platform's OAuth client id from ``--client-id`` or its variable ("" when none); a
    platform without a device flow refuses the flag."""
    if flag is not None and spec.device_login is None:
        raise InputError(f"--client-id: {spec.token_only}")
    if spec.device_login is None:
        return ""
    return (flag or environ.get(spec.client_id_variable, "")).strip()


def platform_token(
    spec: ConnectSpec, from_stdin: bool, environ: Mapping[str, str], asker: Asker, stdin: TextIO
) -> str:
    """``--token-stdin``, else the platform's variable, else a prompt on a terminal."""
    if from_stdin:
        token = stdin.read().strip()
    elif environ.get(spec.token_secret, "").strip():
        token = environ[spec.token_secret].strip()
    elif asker.interactive:
        token = asker.secret(f"{spec.token_secret} (input hidden): ")
    else:
        token = ""
    if not token:
        raise InputError(f"no platform token: set {spec.token_secret}, or pipe it to --token-stdin")
    redaction.register(token)
    return token


def discover(
    connector: Connector, spec: ConnectSpec, token: str, options: ConnectOptions, asker: Asker
) -> Connection:
    """Verify, choose the account, probe permissions, choose the project."""
    print(connector.verify(options.account))
    word = spec.account_word
    account = asker.choose(word, connector.accounts(), options.account, "--account")
    print(f"{word}: {account.label()}")
    check_permissions(connector, account)
    projects = connector.projects(account)
    project = _project(asker, projects, options.project)
    print(f"project: {project.label()}" + ("" if project in projects else " (the first deploy creates it)"))
    variables = {**connector.variables(account, project), PROJECT_VARIABLE: project.name}
    return Connection({spec.token_secret: token}, variables, account)


def check_permissions(connector: Connector, account: Choice) -> None:
    """A missing required permission ends the run; a missing optional one is a warning. Both
    name what to tick and where to create a token that has it."""
    missing = connector.missing(account)
    if not missing:
        print("permissions: everything a deploy needs")
        return
    link = connector.token_link(missing, account)
    names = ", ".join(permission.name for permission in missing)
    if any(permission.required for permission in missing):
        raise AuthError(
            f"the token lacks {names}: create a token with it ticked at {link}", input_name="token"
        )
    print(f"warning: the token lacks {names}; for custom domains create a token at {link}", file=sys.stderr)


def _project(asker: Asker, projects: list[Choice], wanted: str | None) -> Choice:
    if wanted:
        for project in projects:
            if wanted in (project.id, project.name):
                return project
        return Choice(wanted, wanted)
    if not projects:
        raise InputError("the account has no project yet: pass --project NAME (the first deploy creates it)")
    return asker.choose("project", projects, None, "--project")


def write(
    connection: Connection,
    repository: str,
    gh_token: str,
    options: ConnectOptions,
    environ: Mapping[str, str],
    lasting: LastingToken | None = None,
) -> int:
    """Probe access, then write (or, in a dry run, describe) every secret and variable; a token
    for CI (``lasting``) is made right before its secret is written."""
    from ci_deploy.github.client import GitHubClient
    from ci_deploy.github.secrets import SecretsWriter

    where = repository + (f" (environment {options.environment})" if options.environment else "")
    with GitHubClient(github_target.api_url(environ), gh_token, repository) as client:
        writer = SecretsWriter(client, options.environment)
        if options.dry_run:
            if not options.environment:
                writer.public_key()
            if lasting is not None:
                print(lasting.planned())
            for name in [*connection.secrets, *([lasting.secret] if lasting else [])]:
                print(f"would write secret {name} to {where}")
            for name, value in connection.variables.items():
                print(f"would set variable {name}={value} on {where}")
            return 0
        writer.ensure_environment()
        writer.public_key()
        for name, value in connection.secrets.items():
            writer.put_secret(name, value)
            print(f"secret {name}: written to {where}")
        if lasting is not None:
            _write_lasting(writer, lasting, where)
        for name, value in connection.variables.items():
            print(f"variable {name}={value}: {writer.put_variable(name, value)} on {where}")
    print(f"connected: run `ci-deploy init {options.platform}` to write the workflows that use them")
    return 0


def _write_lasting(writer: SecretsWriter, lasting: LastingToken, where: str) -> None:
    """Make the token for CI and write it as its secret; revoke it when it cannot be written,
    and the earlier ones of its name when it is."""
    token = lasting.create()
    try:
        writer.put_secret(lasting.secret, token.value)
    except BaseException:
        lasting.revoke(token)
        raise
    print(f"secret {lasting.secret}: written to {where}")
    lasting.retire_earlier(token)
