"""env / env-file parsing, ${NAME} secrets, and the required names (env-required)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy import redaction
from ci_deploy.artifact import open_artifact
from ci_deploy.config.envvars import missing_required, parse_dotenv, parse_env_yaml, read_env_inputs
from ci_deploy.config.settings import settings_from_inputs
from ci_deploy.errors import InputError
from ci_deploy.plan import required_env
from ci_deploy.plan.model import EnvPlan
from ci_deploy.platforms.base import EnvVar


@pytest.fixture(autouse=True)
def _no_secrets() -> None:
    redaction.forget_all()


def plan(tmp_path: Path, environ: dict[str, str] | None = None, **inputs: str) -> tuple[EnvPlan, list[str]]:
    masked: list[str] = []
    given = {
        "platform": "vercel",
        "project": "web",
        "working-directory": str(tmp_path),
        "env-required": "none",
    }
    given.update({name.replace("_", "-"): value for name, value in inputs.items()})
    variables = read_env_inputs(
        given.get("env"), given.get("env-file"), tmp_path, environ or {}, mask=masked.append
    )
    settings = settings_from_inputs(given, environ or {})
    assert settings.env == variables  # the settings parse env the same way
    return EnvPlan(variables, required_env(settings, None)), masked


def test_yaml_values_stay_the_strings_written() -> None:
    text = "DEBUG: true\nZIP: 08\nRATE: 1e3\nEMPTY:\nNULLISH: ~\nQUOTED: 'yes'\nDATE: 2024-01-01"
    assert parse_env_yaml(text, input_name="env") == {
        "DEBUG": "true", "ZIP": "08", "RATE": "1e3", "EMPTY": "", "NULLISH": "~", "QUOTED": "yes",
        "DATE": "2024-01-01",
    }  # fmt: skip


def test_dotenv_handles_export_quotes_and_comments() -> None:
    text = "# comment\nexport A=1\nB=\"two\\nlines\" # note\nC='$literal #x'\nD=bare value # c\n\nE="
    assert parse_dotenv(text, input_name="env-file") == {
        "A": "1", "B": "two\nlines", "C": "$literal #x", "D": "bare value", "E": "",
    }  # fmt: skip


def test_dollar_brace_name_reads_the_step_env_as_a_masked_secret(tmp_path: Path) -> None:
    result, masked = plan(
        tmp_path, {"PROD_DB": "postgres://u:p@db/x"}, env="DATABASE_URL: ${PROD_DB}\nMODE: fast"
    )
    assert result.variables == (
        EnvVar("DATABASE_URL", "postgres://u:p@db/x", secret=True),
        EnvVar("MODE", "fast", secret=False),
    )
    assert masked == ["postgres://u:p@db/x"]


def test_double_dollar_escapes_a_literal(tmp_path: Path) -> None:
    result, _ = plan(tmp_path, env="TEMPLATE: $${HOME}/x")
    assert result.variables == (EnvVar("TEMPLATE", "${HOME}/x", secret=False),)


def test_env_wins_over_env_file_and_yaml_env_files_work(tmp_path: Path) -> None:
    (tmp_path / "vars.yml").write_text("A: from-file\nB: file-only\n", encoding="utf-8")
    result, _ = plan(tmp_path, env="A: from-env", env_file="vars.yml")
    assert [(v.name, v.value) for v in result.variables] == [("A", "from-env"), ("B", "file-only")]


def test_dotenv_file_values_may_map_secrets_too(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text("API_KEY=${API_SECRET}\n", encoding="utf-8")
    result, masked = plan(tmp_path, {"API_SECRET": "k-123456"}, env_file=".env.production")
    assert result.variables == (EnvVar("API_KEY", "k-123456", secret=True),) and masked == ["k-123456"]


BAD_ENV: list[tuple[dict[str, str], dict[str, str], str, str]] = [
    ({"env": "A: [1, 2]"}, {}, "env", "A: lists and maps are not allowed"),
    ({"env": "A:\n  b: 1"}, {}, "env", "A: lists and maps are not allowed"),
    ({"env": "- A=1"}, {}, "env", "expected a YAML mapping"),
    ({"env": "A: 'unterminated"}, {}, "env", "not valid YAML"),
    ({"env": "A: 1\nA: 2"}, {}, "env", "duplicate key 'A'"),
    ({"env": "MY-VAR: 1"}, {}, "env", "'MY-VAR' is not a valid variable name"),
    ({"env": "1ST: x"}, {}, "env", "'1ST' is not a valid variable name"),
    ({"env": "KEY: ${MISSING}"}, {}, "env", "KEY: the step's env var MISSING is unset or empty"),
    ({"env": "KEY: ${EMPTY}"}, {"EMPTY": ""}, "env", "KEY: the step's env var EMPTY is unset or empty"),
    ({"env": "KEY: pre-${X}"}, {"X": "1"}, "env", "only a whole value '${NAME}'"),
    ({"env": "KEY: ${bad-name}"}, {}, "env", "does not name a variable"),
    ({"env-file": "missing.env"}, {}, "env-file", "no such file"),
]


@pytest.mark.parametrize(("inputs", "environ", "name", "reason"), BAD_ENV, ids=[b[3][:30] for b in BAD_ENV])
def test_each_bad_env_input_is_one_line_naming_the_input(
    tmp_path: Path,
    inputs: dict[str, str],
    environ: dict[str, str],
    name: str,
    reason: str,
    httpx_mock: HTTPXMock,
) -> None:
    with pytest.raises(InputError) as caught:
        plan(tmp_path, environ, **{k.replace("-", "_"): v for k, v in inputs.items()})
    assert str(caught.value).startswith(f"input '{name}': ")
    assert reason in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("NOT A LINE", "line 1 is not KEY=value"),
        ('A="open', "line 1: unterminated quote"),
        ("A='x' trailing", "unexpected text after the closing quote"),
        ("B-C=1", "'B-C' is not a valid variable name"),
    ],
)
def test_bad_dotenv_lines_name_env_file(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "bad.env").write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        plan(tmp_path, env_file="bad.env")
    assert str(caught.value).startswith("input 'env-file': ") and reason in str(caught.value)


def test_an_env_file_too_large_to_be_one_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    with (tmp_path / "build.log").open("wb") as log:
        log.truncate(64 * 1024 * 1024)  # sparse: 64 MiB that take no disk
    with pytest.raises(InputError) as caught:
        plan(tmp_path, env_file="build.log")
    assert str(caught.value).startswith("input 'env-file': ") and "too large to be an env file" in str(
        caught.value
    )


def test_an_env_file_that_is_a_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    with pytest.raises(InputError) as caught:
        plan(tmp_path, env_file="env")
    assert str(caught.value) == f"input 'env-file': {tmp_path / 'env'} is not a regular file"


def test_a_missing_secret_names_the_key_and_never_a_value(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        plan(tmp_path, {"OTHER": "value-12345"}, env="TOKEN: ${API_TOKEN}\nOK: ${OTHER}")
    assert "TOKEN" in str(caught.value) and "API_TOKEN" in str(caught.value)
    assert "value-12345" not in str(caught.value)


def test_required_names_from_a_list_and_none(tmp_path: Path) -> None:
    listed, _ = plan(tmp_path, env_required="API_KEY, DB_URL")
    assert listed.required == {"API_KEY", "DB_URL"}
    nothing, _ = plan(tmp_path, env_required="none")
    assert nothing.required == frozenset()


def test_auto_required_reads_env_example_and_server_code(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(
        "# docs\nAPI_KEY=\nexport SENTRY_DSN=https://...\nBARE_NAME\n", encoding="utf-8"
    )
    (tmp_path / ".env.sample").write_text("FROM_SAMPLE=1\n", encoding="utf-8")
    dist = tmp_path / "dist"
    (dist / "_worker.js").mkdir(parents=True)
    (dist / "_worker.js" / "index.js").write_text(
        "export default { fetch(r, env) {\n"
        "  return env.KV_TOKEN + env.ASSETS.fetch(r) + process.env.NODE_ENV } }",
        encoding="utf-8",
    )
    functions = dist / ".vercel" / "output" / "functions" / "api" / "hello.func"
    functions.mkdir(parents=True)
    (functions / "index.js").write_text(
        "const a = process.env.STRIPE_SECRET; const b = process.env['OPENAI_KEY']; process.env.VERCEL_URL",
        encoding="utf-8",
    )
    (dist / "app.js").write_text("process.env.CLIENT_ONLY", encoding="utf-8")
    settings = settings_from_inputs(
        {"platform": "vercel", "project": "web", "working-directory": str(tmp_path)}, {}
    )
    with open_artifact("dist", working_directory=tmp_path) as artifact:
        required = required_env(settings, artifact)
    assert required == {
        "API_KEY", "SENTRY_DSN", "BARE_NAME", "FROM_SAMPLE", "KV_TOKEN", "STRIPE_SECRET", "OPENAI_KEY",
    }  # fmt: skip


def test_missing_required_lists_sorted_names_not_given_anywhere() -> None:
    variables = (EnvVar("A", "1", secret=False),)
    assert missing_required(frozenset({"C", "A", "B", "D"}), variables, {"D"}) == ["B", "C"]
