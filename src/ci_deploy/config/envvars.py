"""Env vars for the deployed app: the ``env`` and ``env-file`` inputs, parsed with the settings.

Values are kept exactly as written: YAML is loaded with no implicit typing, so ``true``, ``08``
and ``1e3`` stay strings. A value that is exactly ``${NAME}`` is read from the step's env var
``NAME`` — where the workflow puts ``${{ secrets.X }}`` — and becomes a secret (masked at once,
stored as a secret by the adapters). ``$${`` escapes a literal ``${``; any other ``${`` is
refused rather than half-interpolated. The plan holds names and values; only names are printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from ci_deploy import runner
from ci_deploy.errors import InputError
from ci_deploy.platforms.base import EnvVar

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_DOTENV_LINE = re.compile(r"(?:export\s+)?([^=\s]+)\s*=\s*(.*)")


def parse_env_yaml(text: str, *, input_name: str) -> dict[str, str]:
    """A YAML mapping of names to scalar values; lists, maps and invalid names are refused."""
    from ci_deploy.config.env_yaml import load_strings  # yaml is imported only for an env input

    data = load_strings(text, input_name=input_name)
    if data is None or data == "":
        return {}
    if not isinstance(data, dict):
        raise InputError("expected a YAML mapping of NAME: value lines", input_name=input_name)
    values: dict[str, str] = {}
    for key, value in data.items():
        name = _check_name(str(key), input_name)
        if isinstance(value, dict | list):
            raise InputError(
                f"{name}: lists and maps are not allowed; quote the value", input_name=input_name
            )
        values[name] = "" if value is None else str(value)
    return values


def _check_name(name: str, input_name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(
            f"{name!r} is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)", input_name=input_name
        )
    return name


def _unquote(raw: str, number: int) -> str:
    """A dotenv value: "double" (with \\n, \\", \\\\ escapes), 'single' (literal), or bare."""
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\" and not raw[:end].endswith("\\\\"):
            end = raw.find(quote, end + 1)
        if end < 0:
            raise ValueError(f"line {number}: unterminated quote")
        rest = raw[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise ValueError(f"line {number}: unexpected text after the closing quote")
        inner = raw[1:end]
        if quote == "'":
            return inner
        escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
        return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), inner)
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def parse_dotenv(text: str, *, input_name: str) -> dict[str, str]:
    """``KEY=value`` lines with optional ``export``, quotes and ``#`` comments."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOTENV_LINE.fullmatch(stripped)
        if match is None:
            raise InputError(f"line {number} is not KEY=value", input_name=input_name)
        name = _check_name(match.group(1), input_name)
        try:
            values[name] = _unquote(match.group(2), number)
        except ValueError as exc:
            raise InputError(str(exc), input_name=input_name) from None
    return values


#: far above any real env file (Vercel takes 64 KiB for all of a deployment's variables), far
#: below what would strain memory: a build log or a disk image named by mistake is refused
MAX_ENV_FILE_BYTES = 1024 * 1024


def read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        raise InputError(f"no such file: {path}", input_name="env-file")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file", input_name="env-file")
    with path.open("rb") as handle:
        data = handle.read(MAX_ENV_FILE_BYTES + 1)
    if len(data) > MAX_ENV_FILE_BYTES:
        raise InputError(
            f"{path} is over {MAX_ENV_FILE_BYTES // 1024} KiB, too large to be an env file",
            input_name="env-file",
        )
    text = data.decode("utf-8", errors="replace")
    if path.suffix.lower() in (".yml", ".yaml"):
        return parse_env_yaml(text, input_name="env-file")
    return parse_dotenv(text, input_name="env-file")


def resolve_value(
    name: str, value: str, environ: Mapping[str, str], *, input_name: str, mask: Callable[[str], None]
) -> EnvVar:
    """``${NAME}`` -> a secret from the step's env; ``$${`` -> a literal ``${``; else plain."""
    whole = _REFERENCE.fullmatch(value)
    if whole:
        source = whole.group(1)
        if not _NAME.fullmatch(source):
            raise InputError(f"{name}: '${{{source}}}' does not name a variable", input_name=input_name)
        secret = environ.get(source, "")
        if not secret:
            raise InputError(
                f"{name}: the step's env var {source} is unset or empty; add "
                f"`{source}: ${{{{ secrets.{source} }}}}` to the step's env",
                input_name=input_name,
            )
        mask(secret)
        return EnvVar(name=name, value=secret, secret=True)
    unescaped = value.replace("$${", "\0")
    if "${" in unescaped:
        raise InputError(
            f"{name}: only a whole value '${{NAME}}' is read from the step's env; "
            "write '$${' for a literal '${'",
            input_name=input_name,
        )
    return EnvVar(name=name, value=unescaped.replace("\0", "${"), secret=False)


def read_env_inputs(
    env: str | None,
    env_file: str | None,
    working_directory: Path,
    environ: Mapping[str, str],
    *,
    mask: Callable[[str], None] | None = None,
) -> tuple[EnvVar, ...]:
    """Read ``env-file`` then ``env`` (``env`` wins) and resolve ``${NAME}``, in name order."""
    sources: list[tuple[str, dict[str, str]]] = []
    if env_file:
        file_path = Path(env_file)
        if not file_path.is_absolute():
            file_path = working_directory / file_path
        sources.append(("env-file", read_env_file(file_path)))
    if env:
        sources.append(("env", parse_env_yaml(env, input_name="env")))
    resolved: dict[str, EnvVar] = {}
    for input_name, values in sources:
        for name, value in values.items():
            resolved[name] = resolve_value(
                name, value, environ, input_name=input_name, mask=mask or runner.mask
            )
    return tuple(resolved[name] for name in sorted(resolved))


def missing_required(
    required: frozenset[str], variables: tuple[EnvVar, ...], existing: set[str]
) -> list[str]:
    """Required names with no value among ``variables`` nor already on the project, sorted."""
    return sorted(required - {v.name for v in variables} - existing)
