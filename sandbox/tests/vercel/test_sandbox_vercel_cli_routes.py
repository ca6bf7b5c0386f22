"""The routes the official vercel CLI's own flows need beyond deploying: project creation on
``/v1/projects`` (``vercel deploy`` in an unlinked folder), ``/v3/env/pull`` (``vercel link``),
the account's domains (``vercel domains add|inspect``, ``vercel alias set``) and a deployment's
aliases on ``/now/deployments/{id}/aliases`` (``vercel remove``)."""

from __future__ import annotations

from memory_world import MemoryWorld
from vercel_calls import TEAM, Call, deploy, js, ready

from ci_deploy_sandbox import identities


def test_v1_projects_creates_a_project_like_v11(call: Call) -> None:
    created = call("POST", "/v1/projects", {"name": "fresh", "ssoProtection": None})
    assert created.status == 200
    assert js(call("GET", "/v9/projects/fresh"))["id"] == js(created)["id"]
    clash = call("POST", "/v1/projects", {"name": "fresh"})
    assert (clash.status, js(clash)["error"]["code"]) == (409, "conflict")


def test_env_pull_gives_a_targets_values_with_branch_overrides_and_sensitive_ones_empty(call: Call) -> None:
    call("POST", "/v11/projects", {"name": "pulled"})
    variables = [
        {"key": "PLAIN", "value": "one", "type": "plain", "target": ["development", "preview"]},
        {"key": "PLAIN", "value": "branch", "type": "plain", "target": ["preview"], "gitBranch": "feat"},
        {"key": "HIDDEN", "value": "s3cret", "type": "sensitive", "target": ["preview"]},
    ]
    assert call("POST", "/v10/projects/pulled/env", variables).status == 201
    assert js(call("GET", "/v3/env/pull/pulled/development")) == {"env": {"PLAIN": "one"}}
    assert js(call("GET", "/v3/env/pull/pulled/preview")) == {"env": {"PLAIN": "one", "HIDDEN": ""}}
    assert js(call("GET", "/v3/env/pull/pulled/preview/feat"))["env"]["PLAIN"] == "branch"
    assert call("GET", "/v3/env/pull/pulled/staging").status == 404
    assert call("GET", "/v3/env/pull/nothing/preview").status == 404


def test_an_added_domain_belongs_to_the_team_and_answers_for_its_subdomains(call: Call) -> None:
    assert call("GET", "/v5/domains/example.com").status == 404
    added = call("POST", "/v7/domains", {"name": "Example.com", "zone": True})
    assert added.status == 200
    domain = js(added)["domain"]
    assert (domain["name"], domain["teamId"], domain["verified"]) == ("example.com", TEAM, True)
    assert domain["creator"]["username"] == identities.VERCEL_USERNAME
    assert js(call("GET", "/v5/domains/www.example.com"))["domain"]["id"] == domain["id"]
    again = call("POST", "/v7/domains", {"name": "example.com"})
    assert (again.status, js(again)["error"]["code"]) == (409, "domain_already_exists")
    invalid = call("POST", "/v7/domains", {"name": "nodot"})
    assert (invalid.status, js(invalid)["error"]["code"]) == (400, "invalid_name")


def test_another_accounts_domain_is_forbidden_and_a_flagged_one_unverified(
    call: Call, world: MemoryWorld
) -> None:
    call("POST", "/v7/domains", {"name": "example.com"}, team=None)
    assert call("GET", "/v5/domains/example.com").status == 403
    world.set_setting("vercel.domains_needing_verification", ["taken.dev"])
    assert js(call("POST", "/v7/domains", {"name": "taken.dev"}))["domain"]["verified"] is False


def test_project_domains_of_a_domain_name_its_projects(call: Call) -> None:
    deploy(call, {"index.html": b"hi"})
    call("POST", "/v10/projects/site/domains", {"name": "www.example.com"})
    call("POST", "/v10/projects/site/domains", {"name": "other.dev"})
    listed = js(call("GET", "/v1/domains/example.com/project-domains?limit=100"))
    project_id = js(call("GET", "/v9/projects/site"))["id"]
    assert [(d["name"], d["projectId"]) for d in listed["projectDomains"]] == [
        ("www.example.com", project_id)
    ]
    assert listed["pagination"]["next"] is None


def test_the_registrar_sells_nothing_and_quotes_no_price(call: Call) -> None:
    assert js(call("GET", "/v1/registrar/domains/example.com/availability")) == {"available": False}
    price = js(call("GET", "/v1/registrar/domains/example.com/price?years=2"))
    assert price == {"years": 2, "purchasePrice": None, "renewalPrice": None, "transferPrice": None}
    assert call("GET", "/v1/registrar/domains/example.com/price?years=0").status == 400


def test_an_alias_reads_back_as_a_one_row_list_with_an_iso_creation_time(call: Call) -> None:
    deployment = ready(call, deploy(call, {"index.html": b"hi"}))
    call("POST", f"/v2/deployments/{deployment['id']}/aliases", {"alias": "demo.localhost"})
    [alias] = js(call("GET", "/v4/aliases/demo.localhost"))
    assert alias["deploymentId"] == deployment["id"]
    assert alias["created"].endswith("Z") and isinstance(alias["createdAt"], int)


def test_a_deployments_aliases_are_listed_on_the_now_route_too(call: Call) -> None:
    deployment = ready(call, deploy(call, {"index.html": b"hi"}))
    call("POST", f"/now/deployments/{deployment['id']}/aliases", {"alias": "custom.example.com"})
    aliases = js(call("GET", f"/now/deployments/{deployment['id']}/aliases"))["aliases"]
    assert "custom.example.com" in [a["alias"] for a in aliases]
