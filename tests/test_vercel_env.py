"""Project env vars: sensitive vs plain, one target, upsert, values never in messages."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from ci_deploy.errors import PlatformError
from ci_deploy.platforms.base import EnvVar
from ci_deploy.platforms.vercel.api import VercelApi
from ci_deploy.platforms.vercel.env import env_body, existing_env_names, names_for, set_env_vars

ENV = "https://api.vercel.com/v10/projects/prj_1/env?teamId=team_abc"


@pytest.fixture
def api() -> VercelApi:
    client = VercelApi("tok_1", sleep=lambda _s: None)
    client.scope = {"teamId": "team_abc"}
    return client


VARS = [EnvVar("API_KEY", "sk_live_secret", secret=True), EnvVar("MODE", "08", secret=False)]


def test_secrets_are_sensitive_and_literals_plain_for_one_target() -> None:
    assert env_body(VARS, "preview") == [
        {"key": "API_KEY", "value": "sk_live_secret", "type": "sensitive", "target": ["preview"]},
        {"key": "MODE", "value": "08", "type": "plain", "target": ["preview"]},
    ]


def test_set_env_vars_upserts_in_one_call(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{ENV}&upsert=true",
        match_json=env_body(VARS, "production"),
        status_code=201,
        json={"created": [{"key": "API_KEY"}, {"key": "MODE"}], "failed": []},
    )
    set_env_vars(api, "prj_1", VARS, "production")


def test_no_variables_means_no_call(api: VercelApi) -> None:
    set_env_vars(api, "prj_1", [], "production")


def test_a_failed_key_is_named_without_its_value(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    failed = {"error": {"code": "ENV_CONFLICT", "message": "conflicts", "key": "API_KEY"}}
    httpx_mock.add_response(
        method="POST", url=f"{ENV}&upsert=true", status_code=201, json={"failed": [failed]}
    )
    with pytest.raises(PlatformError, match=r"API_KEY.*ENV_CONFLICT") as caught:
        set_env_vars(api, "prj_1", VARS, "production")
    assert "sk_live_secret" not in str(caught.value)


def test_a_refused_upsert_says_what_it_was_setting(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    refusal = {"error": {"code": "bad_request", "message": "Invalid request"}}
    httpx_mock.add_response(method="POST", url=f"{ENV}&upsert=true", status_code=400, json=refusal)
    with pytest.raises(PlatformError) as caught:
        set_env_vars(api, "prj_1", VARS, "preview")
    assert str(caught.value).startswith("could not set the preview environment variables: Invalid request")
    assert "sk_live_secret" not in str(caught.value)


def test_names_for_filters_by_target_string_or_list() -> None:
    envs = [
        {"key": "A", "target": ["production", "preview"]},
        {"key": "B", "target": "preview"},
        {"key": "C", "target": ["development"]},
    ]
    assert names_for(envs, "preview") == {"A", "B"}
    assert names_for(envs, "production") == {"A"}


def test_existing_env_names_reads_every_page(httpx_mock: HTTPXMock, api: VercelApi) -> None:
    httpx_mock.add_response(
        method="GET",
        url=ENV,
        json={"envs": [{"key": "A", "target": ["preview"]}], "pagination": {"next": 99}},
    )
    httpx_mock.add_response(
        method="GET",
        url=f"{ENV}&until=99",
        json={"envs": [{"key": "B", "target": ["preview"]}], "pagination": {"next": None}},
    )
    assert existing_env_names(api, "prj_1", "preview") == {"A", "B"}
