"""Cut the operations ci-deploy and the official CLIs use out of the platforms' full OpenAPI
descriptions, with every component they reach, into ``tests/api_schemas/<api>.json``.

The full descriptions are megabytes each and change daily; the tests need only the few dozen
operations below. Keeping the cut deterministic (sorted keys, fixed operation list) makes a
re-extraction from a newer description a reviewable diff. Where each description came from is
recorded in ``tests/api_schemas/PROVENANCE.md``.

    python scripts/extract_api_schemas.py --cloudflare openapi.json \\
        --vercel vercel-spec.json --github api.github.com.json --out tests/api_schemas
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COMPONENTS = "#/components/"
DEPLOYMENT = "/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}"

#: (method, path as the description spells it) per API: the calls of ci-deploy's adapters and of
#: the wrangler / vercel CLI flows the sandbox serves. Calls the descriptions do not list (the
#: Pages asset upload API, older Vercel versions) are absent here and named in allowlist.yaml.
OPERATIONS: dict[str, list[tuple[str, str]]] = {
    "cloudflare": [
        ("GET", "/user"),
        ("GET", "/user/tokens/verify"),
        ("GET", "/memberships"),
        ("GET", "/accounts"),
        ("GET", "/accounts/{account_id}"),
        ("GET", "/accounts/{account_id}/pages/projects"),
        ("POST", "/accounts/{account_id}/pages/projects"),
        ("GET", "/accounts/{account_id}/pages/projects/{project_name}"),
        ("PATCH", "/accounts/{account_id}/pages/projects/{project_name}"),
        ("DELETE", "/accounts/{account_id}/pages/projects/{project_name}"),
        ("POST", "/accounts/{account_id}/pages/projects/{project_name}/purge_build_cache"),
        ("GET", "/accounts/{account_id}/pages/projects/{project_name}/deployments"),
        ("POST", "/accounts/{account_id}/pages/projects/{project_name}/deployments"),
        ("GET", DEPLOYMENT),
        ("DELETE", DEPLOYMENT),
        ("GET", f"{DEPLOYMENT}/history/logs"),
        ("POST", f"{DEPLOYMENT}/retry"),
        ("POST", f"{DEPLOYMENT}/rollback"),
        ("GET", "/accounts/{account_id}/pages/projects/{project_name}/domains"),
        ("POST", "/accounts/{account_id}/pages/projects/{project_name}/domains"),
        ("GET", "/accounts/{account_id}/pages/projects/{project_name}/domains/{domain_name}"),
        ("PATCH", "/accounts/{account_id}/pages/projects/{project_name}/domains/{domain_name}"),
        ("DELETE", "/accounts/{account_id}/pages/projects/{project_name}/domains/{domain_name}"),
        ("GET", "/zones"),
        ("POST", "/zones"),
        ("GET", "/zones/{zone_id}"),
        ("GET", "/zones/{zone_id}/dns_records"),
        ("POST", "/zones/{zone_id}/dns_records"),
        ("GET", "/zones/{zone_id}/dns_records/{dns_record_id}"),
        ("PATCH", "/zones/{zone_id}/dns_records/{dns_record_id}"),
        ("PUT", "/zones/{zone_id}/dns_records/{dns_record_id}"),
        ("DELETE", "/zones/{zone_id}/dns_records/{dns_record_id}"),
    ],
    "vercel": [
        ("GET", "/v2/user"),
        ("GET", "/v2/teams"),
        ("GET", "/v2/teams/{teamId}"),
        ("POST", "/v2/files"),
        ("POST", "/v13/deployments"),
        ("GET", "/v13/deployments/{idOrUrl}"),
        ("DELETE", "/v13/deployments/{id}"),
        ("GET", "/v6/deployments"),
        ("GET", "/v3/deployments/{idOrUrl}/events"),
        ("GET", "/v10/projects"),
        ("POST", "/v11/projects"),
        ("GET", "/v9/projects/{idOrName}"),
        ("PATCH", "/v9/projects/{idOrName}"),
        ("DELETE", "/v9/projects/{idOrName}"),
        ("GET", "/v9/projects/{idOrName}/custom-environments"),
        ("POST", "/v10/projects/{idOrName}/domains"),
        ("GET", "/v9/projects/{idOrName}/domains"),
        ("GET", "/v9/projects/{idOrName}/domains/{domain}"),
        ("PATCH", "/v9/projects/{idOrName}/domains/{domain}"),
        ("DELETE", "/v9/projects/{idOrName}/domains/{domain}"),
        ("POST", "/v9/projects/{idOrName}/domains/{domain}/verify"),
        ("GET", "/v6/domains/{domain}/config"),
        ("GET", "/v5/domains/{domain}"),
        ("POST", "/v7/domains"),
        ("GET", "/v1/registrar/domains/{domain}/price"),
        ("GET", "/v1/registrar/domains/{domain}/availability"),
        ("POST", "/v10/projects/{idOrName}/env"),
        ("GET", "/v10/projects/{idOrName}/env"),
        ("GET", "/v1/projects/{idOrName}/env/{id}"),
        ("PATCH", "/v9/projects/{idOrName}/env/{id}"),
        ("DELETE", "/v9/projects/{idOrName}/env/{id}"),
        ("POST", "/v2/deployments/{id}/aliases"),
        ("GET", "/v2/deployments/{id}/aliases"),
        ("GET", "/v4/aliases/{idOrAlias}"),
        ("DELETE", "/v2/aliases/{aliasId}"),
        ("POST", "/v10/projects/{projectId}/promote/{deploymentId}"),
        ("GET", "/v1/projects/{projectId}/promote/aliases"),
        ("POST", "/v3/user/tokens"),
        ("GET", "/v5/user/tokens"),
        ("GET", "/v5/user/tokens/{tokenId}"),
        ("DELETE", "/v3/user/tokens/{tokenId}"),
    ],
    "github": [
        ("GET", "/user"),
        ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
        ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
        ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
        ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
        ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
        ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
        ("GET", "/repos/{owner}/{repo}/deployments"),
        ("POST", "/repos/{owner}/{repo}/deployments"),
        ("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}"),
        ("DELETE", "/repos/{owner}/{repo}/deployments/{deployment_id}"),
        ("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"),
        ("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"),
        ("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"),
        ("GET", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}"),
        # connect: secrets and variables, of the repository or of one of its environments
        ("GET", "/repos/{owner}/{repo}/actions/secrets/public-key"),
        ("PUT", "/repos/{owner}/{repo}/actions/secrets/{secret_name}"),
        ("GET", "/repos/{owner}/{repo}/actions/variables/{name}"),
        ("POST", "/repos/{owner}/{repo}/actions/variables"),
        ("PATCH", "/repos/{owner}/{repo}/actions/variables/{name}"),
        ("PUT", "/repos/{owner}/{repo}/environments/{environment_name}"),
        ("GET", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key"),
        ("PUT", "/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}"),
        ("GET", "/repos/{owner}/{repo}/environments/{environment_name}/variables/{name}"),
        ("POST", "/repos/{owner}/{repo}/environments/{environment_name}/variables"),
        ("PATCH", "/repos/{owner}/{repo}/environments/{environment_name}/variables/{name}"),
    ],
}


def refs_in(node: Any) -> Iterator[str]:
    """Every ``$ref`` string anywhere under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def component_key(ref: str) -> tuple[str, str]:
    """``#/components/schemas/a~1b`` -> ``("schemas", "a/b")``; only local component refs exist
    in these descriptions, so anything else is a description this script does not understand."""
    if not ref.startswith(COMPONENTS):
        raise SystemExit(f"unsupported $ref {ref!r}: only {COMPONENTS}<kind>/<name> is handled")
    kind, _, name = ref[len(COMPONENTS) :].partition("/")
    return kind, name.replace("~1", "/").replace("~0", "~")


def reached_components(document: dict[str, Any], roots: Any) -> dict[str, dict[str, Any]]:
    """The components ``roots`` reach through ``$ref``, transitively."""
    found: dict[str, dict[str, Any]] = {}
    pending = list(refs_in(roots))
    while pending:
        kind, name = component_key(pending.pop())
        if name in found.get(kind, {}):
            continue
        value = document["components"][kind][name]
        found.setdefault(kind, {})[name] = value
        pending.extend(refs_in(value))
    return found


def extract(document: dict[str, Any], operations: list[tuple[str, str]]) -> dict[str, Any]:
    """The subset: the listed operations (with their path-level parameters) and their components."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in operations:
        item = document["paths"].get(path, {})
        if method.lower() not in item:
            raise SystemExit(f"{method} {path} is not in the description")
        kept = paths.setdefault(path, {})
        kept[method.lower()] = item[method.lower()]
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
    return {
        "openapi": document["openapi"],
        "info": {"title": document["info"]["title"], "version": document["info"]["version"]},
        "servers": document.get("servers", []),
        "paths": paths,
        "components": reached_components(document, paths),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for api in OPERATIONS:
        parser.add_argument(f"--{api}", type=Path, required=True, help=f"the full {api} description")
    parser.add_argument("--out", type=Path, default=Path("tests/api_schemas"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for api, operations in OPERATIONS.items():
        document = json.loads(getattr(args, api).read_text(encoding="utf-8"))
        subset = extract(document, operations)
        target = args.out / f"{api}.json"
        target.write_text(json.dumps(subset, sort_keys=True, indent=1, ensure_ascii=False) + "\n")
        count = sum(len(v) for v in subset["components"].values())
        print(f"{target}: {len(operations)} operations, {count} components", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
