"""The contract checker judges recorded exchanges by the official API descriptions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_contract import (
    Allowance,
    Exchange,
    Violation,
    check_all,
    check_exchange,
    load_allowlist,
    openapi_to_json_schema,
    without_hidden_required,
)

COMMENT_URL = "https://api.github.com/repos/acme/shop/issues/comments/7"
SANDBOX = (("http://127.0.0.1:8000/client/v4", "cloudflare"), ("http://127.0.0.1:8000", "vercel"))


def github_user(login: str = "ci-deploy-bot") -> dict[str, Any]:
    """A user object with every field GitHub's description requires."""
    base = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": 41898282,
        "node_id": "MDM6Qm90NDE4OTgyODI=",
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4",
        "gravatar_id": "",
        "url": base,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": "Bot",
        "site_admin": False,
    }


def issue_comment() -> dict[str, Any]:
    return {
        "id": 7,
        "node_id": "IC_kwDOA",
        "url": COMMENT_URL,
        "html_url": "https://github.com/acme/shop/pull/12#issuecomment-7",
        "issue_url": "https://api.github.com/repos/acme/shop/issues/12",
        "body": "Preview ready",
        "user": github_user(),
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05Z",
        "author_association": "NONE",
    }


def get_comment(body: dict[str, Any], status: int = 200) -> Exchange:
    return Exchange("GET", COMMENT_URL, "", None, status, "application/json", json.dumps(body).encode())


def test_a_comment_with_every_described_field_passes() -> None:
    assert check_exchange(get_comment(issue_comment())) == []


def test_a_comment_without_html_url_fails_naming_the_field() -> None:
    comment = issue_comment()
    del comment["html_url"]

    found = check_exchange(get_comment(comment))

    assert found == [
        Violation("github", "issues/get-comment", "response 200 $", "'html_url' is a required property")
    ]


def test_a_nested_field_of_the_wrong_type_is_reported_at_its_path() -> None:
    comment = issue_comment()
    comment["user"]["site_admin"] = "no"

    [violation] = check_exchange(get_comment(comment))

    assert violation.where == "response 200 $.user.site_admin"
    assert "'no' is not of type 'boolean'" in violation.message


def test_a_status_the_description_does_not_list_is_reported() -> None:
    [violation] = check_exchange(get_comment({}, status=418))

    assert (violation.operation, violation.where) == ("issues/get-comment", "status 418")


def test_an_unknown_path_is_reported_as_no_such_operation() -> None:
    exchange = Exchange("GET", "https://api.github.com/repos/acme/shop/wat", "", None, 200, "", None)

    assert check_exchange(exchange) == [
        Violation(
            "github", "GET /repos/acme/shop/wat", "undocumented", "the description has no such operation"
        )
    ]


def test_a_json_request_body_is_checked_against_the_request_schema() -> None:
    exchange = Exchange(
        "POST",
        "https://api.github.com/repos/acme/shop/issues/12/comments",
        "application/json",
        json.dumps({"text": "hi"}).encode(),
        201,
        "application/json",
        json.dumps(issue_comment()).encode(),
    )

    assert check_exchange(exchange) == [
        Violation("github", "issues/create-comment", "request $", "'body' is a required property")
    ]


def test_sandbox_prefixes_route_traffic_to_the_right_description() -> None:
    url = "http://127.0.0.1:8000/client/v4/accounts/acc/pages/projects/shop"
    body = {"success": True, "errors": [], "messages": [], "result": {"name": 5}}
    exchange = Exchange("GET", url, "", None, 200, "application/json", json.dumps(body).encode())

    [violation] = check_exchange(exchange, SANDBOX)

    assert (violation.api, violation.operation) == ("cloudflare", "pages-project-get-project")
    assert violation.where == "response 200 $.result.name"


def test_traffic_to_no_known_api_is_not_judged() -> None:
    exchange = Exchange("GET", "http://shop.localhost:8000/", "", None, 200, "text/html", b"<p>hi")

    assert check_exchange(exchange, (("http://127.0.0.1:8000", "vercel"),)) == []


def test_a_failed_one_of_reports_the_nearest_branchs_missing_fields() -> None:
    url = "https://api.vercel.com/v13/deployments/dpl_1"
    exchange = Exchange("GET", url, "", None, 200, "application/json", b'{"id":"x"}')

    messages = {v.message for v in check_exchange(exchange)}

    assert "'readyState' is a required property" in messages


def test_allowlisted_violations_are_skipped_and_others_kept() -> None:
    comment = issue_comment()
    del comment["html_url"], comment["node_id"]
    allow = Allowance("github", "issues/*", "response 200 *", "a documented quirk")
    elsewhere = Allowance("github", "issues/create-comment", "*", "a quirk of another operation")

    assert check_all([get_comment(comment)], allowlist=[allow]) == []
    assert len(check_all([get_comment(comment)], allowlist=[elsewhere])) == 2


def test_each_violation_is_reported_once_however_often_it_recurs() -> None:
    comment = issue_comment()
    del comment["html_url"]

    assert len(check_all([get_comment(comment)] * 3, allowlist=[])) == 1


def test_nullable_admits_null_and_keeps_the_type() -> None:
    converted = openapi_to_json_schema({"type": "string", "nullable": True, "enum": ["a"]})

    assert converted == {"type": ["string", "null"], "enum": ["a", None]}


def test_boolean_exclusive_minimum_becomes_a_numeric_bound() -> None:
    converted = openapi_to_json_schema({"type": "integer", "minimum": 0, "exclusiveMinimum": True})

    assert converted == {"type": "integer", "exclusiveMinimum": 0}


def test_allowlist_entries_without_a_reason_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.yaml"
    path.write_text("- api: github\n  operation: issues/*\n  reason: ''\n")

    with pytest.raises(ValueError, match="needs api, operation and a reason"):
        load_allowlist(path)


def test_the_committed_allowlist_loads_with_a_reason_for_every_entry() -> None:
    assert all(entry.reason.strip() for entry in load_allowlist())


def test_a_read_only_required_property_is_asked_of_responses_only() -> None:
    document = {"components": {"schemas": {"id": {"type": "string", "readOnly": True}}}}
    schema = {
        "properties": {"id": {"$ref": "#/components/schemas/id"}, "name": {"type": "string"}},
        "required": ["id", "name"],
    }

    assert without_hidden_required(schema, document, "readOnly")["required"] == ["name"]
    assert without_hidden_required(schema, document, "writeOnly")["required"] == ["id", "name"]
