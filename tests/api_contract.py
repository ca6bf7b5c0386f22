"""Check recorded API traffic against the platforms' official OpenAPI descriptions.

The subsets under ``tests/api_schemas/`` (see PROVENANCE.md there) say what Cloudflare, Vercel
and GitHub document for each operation ci-deploy uses. A recorded exchange is matched to an
operation by its path template, then its JSON request body and JSON response body are validated
against the operation's schemas with ``jsonschema`` (OpenAPI 3.0's ``nullable`` and boolean
``exclusiveMinimum``/``exclusiveMaximum`` translated to JSON Schema first). The sandbox is judged
by the same rules as a real API would be, so every difference it has from the real thing shows
up as a named field instead of as a surprise in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).parent / "api_schemas"
APIS = ("cloudflare", "vercel", "github")
#: where each API lives on the real internet: (origin + path prefix, api)
PUBLIC_BASES = (
    ("https://api.cloudflare.com/client/v4", "cloudflare"),
    ("https://api.vercel.com", "vercel"),
    ("https://api.github.com", "github"),
)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Exchange:
    """One request and the response it got, as recorded (bodies as bytes; None: not captured)."""

    method: str
    url: str
    request_type: str
    request_body: bytes | None
    status: int
    response_type: str
    response_body: bytes | None


@dataclass(frozen=True)
class Violation:
    api: str
    operation: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.api} {self.operation} [{self.where}]: {self.message}"


@dataclass(frozen=True)
class Operation:
    api: str
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("operationId") or f"{self.method} {self.template}")

    @property
    def pointer(self) -> str:
        """JSON pointer of this operation inside its description."""
        escaped = self.template.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/{self.method.lower()}"


def openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema dialect -> JSON Schema 2020-12, recursively, for what the subsets use:
    ``nullable: true`` admits null; boolean exclusive bounds become numeric ones."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: openapi_to_json_schema(value) for key, value in node.items()}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = converted.pop(exclusive) if isinstance(converted.get(exclusive), bool) else None
        if flag and bound in converted:
            converted[exclusive] = converted.pop(bound)
    if converted.pop("nullable", False) is True:
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        if isinstance(converted.get("enum"), list) and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
        if "type" not in converted:
            return {"anyOf": [converted, {"type": "null"}]}
    return converted


def without_hidden_required(node: Any, document: Mapping[str, Any], hidden: str) -> Any:
    """OpenAPI 3.0: a required ``readOnly`` property is required in responses only, a
    ``writeOnly`` one in requests only; drop the ``hidden`` ones from ``required`` lists."""
    if isinstance(node, list):
        return [without_hidden_required(item, document, hidden) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: without_hidden_required(value, document, hidden) for key, value in node.items()}
    properties = converted.get("properties")
    if isinstance(properties, dict) and isinstance(converted.get("required"), list):
        shown = [n for n in converted["required"] if not _is_hidden(properties.get(n), document, hidden)]
        converted["required"] = shown
    return converted


def _is_hidden(schema: Any, document: Mapping[str, Any], hidden: str) -> bool:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        kind_name = schema["$ref"].removeprefix("#/components/").split("/", 1)
        schema = document.get("components", {}).get(kind_name[0], {}).get(kind_name[-1])
    return isinstance(schema, dict) and schema.get(hidden) is True


@cache
def load_api(api: str, direction: str = "response") -> tuple[dict[str, Any], tuple[Operation, ...]]:
    """The description subset of ``api`` (converted to JSON Schema, as it applies to a request
    or a response) and its operations, the ones with fewer path parameters first so
    ``/v13/deployments/get`` beats ``{idOrUrl}``."""
    raw = json.loads((SCHEMAS / f"{api}.json").read_text())
    hidden = "readOnly" if direction == "request" else "writeOnly"
    document = openapi_to_json_schema(without_hidden_required(raw, raw, hidden))
    operations = []
    for template, item in document["paths"].items():
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        for method in METHODS:
            if method in item:
                operations.append(
                    Operation(api, method.upper(), template, re.compile(f"^{regex}/?$"), item[method])
                )
    operations.sort(key=lambda op: (op.template.count("{"), op.template))
    return document, tuple(operations)


@cache
def registry(api: str, direction: str) -> Registry[Any]:
    """The subset as the one resource every ``#/components/...`` reference resolves in."""
    document, _ = load_api(api, direction)
    resource = Resource(document, specification=DRAFT202012)
    return Registry().with_resource(f"urn:api:{api}:{direction}", resource)


def locate(url: str, bases: Sequence[tuple[str, str]]) -> tuple[str, str] | None:
    """``(api, path below the API's base)`` for ``url``, or None when it is not API traffic."""
    parts = urlsplit(url)
    origin_path = f"{parts.scheme}://{parts.netloc}{parts.path}"
    for base, api in sorted(bases, key=lambda entry: -len(entry[0])):
        base = base.rstrip("/")
        if origin_path == base or origin_path.startswith(base + "/"):
            return api, origin_path[len(base) :] or "/"
    return None


def find_operation(api: str, method: str, path: str) -> Operation | None:
    _, operations = load_api(api)
    return next((op for op in operations if op.method == method and op.pattern.match(path)), None)


def response_key(responses: Mapping[str, Any], status: int) -> str | None:
    """The ``responses`` entry for ``status``: exact, then ``4XX`` style, then ``default``."""
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return key
    return None


def _json_body(content_type: str, body: bytes | None) -> tuple[bool, Any]:
    if body is None or not body.strip() or "json" not in content_type.lower():
        return False, None
    try:
        return True, json.loads(body)
    except ValueError:
        return True, ValueError("not valid JSON")


def _schema_errors(op: Operation, pointer: str, instance: Any) -> Iterable[tuple[str, str]]:
    """(JSON path with indices as [*], message) of each way ``instance`` breaks the schema at
    ``pointer`` (``/requestBody/...`` or ``/responses/...`` under the operation)."""
    direction = "request" if pointer.startswith("/requestBody") else "response"
    schema = {"$ref": f"urn:api:{op.api}:{direction}#{op.pointer}{pointer}"}
    validator = jsonschema.Draft202012Validator(schema, registry=registry(op.api, direction))
    errors = [leaf for error in validator.iter_errors(instance) for leaf in _closest_branch(error)]
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        ambiguous = error.validator == "oneOf" and not error.context  # valid under 2+ branches
        message = "valid under more than one oneOf branch" if ambiguous else error.message
        shown = message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "…"
        yield re.sub(r"\[\d+\]", "[*]", error.json_path), shown


def _closest_branch(error: ValidationError) -> list[ValidationError]:
    """For a failed ``oneOf``/``anyOf``, the errors of the branch that came nearest to matching
    (fewest errors), recursively: "missing 'readyState'" says more than "not valid under any"."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    nearest = min(branches.values(), key=len)
    return [leaf for sub in nearest for leaf in _closest_branch(sub)]


def _content_pointer(content: Mapping[str, Any]) -> str | None:
    """The JSON media type's key under ``content`` (escaped for a pointer), if it has a schema."""
    for media, value in content.items():
        if "json" in media and isinstance(value, Mapping) and "schema" in value:
            return media.replace("~", "~0").replace("/", "~1")
    return None


def check_exchange(exchange: Exchange, bases: Sequence[tuple[str, str]] = PUBLIC_BASES) -> list[Violation]:
    """Every way ``exchange`` differs from its API's description; [] for traffic to no API."""
    located = locate(exchange.url, bases)
    if located is None:
        return []
    api, path = located
    call = f"{exchange.method.upper()} {path}"
    if (op := find_operation(api, exchange.method.upper(), path)) is None:
        return [Violation(api, call, "undocumented", "the description has no such operation")]
    found: list[Violation] = []
    request_body = op.spec.get("requestBody") or {}
    media = _content_pointer(request_body.get("content") or {})
    is_json, body = _json_body(exchange.request_type, exchange.request_body)
    if media and is_json:
        for where, message in _schema_errors(op, f"/requestBody/content/{media}/schema", body):
            found.append(Violation(api, op.name, f"request {where}", message))
    responses = op.spec.get("responses") or {}
    key = response_key(responses, exchange.status)
    if key is None:
        found.append(Violation(api, op.name, f"status {exchange.status}", "this status is not described"))
        return found
    media = _content_pointer(responses[key].get("content") or {})
    is_json, body = _json_body(exchange.response_type, exchange.response_body)
    if media and is_json:
        pointer = f"/responses/{key}/content/{media}/schema"
        for where, message in _schema_errors(op, pointer, body):
            found.append(Violation(api, op.name, f"response {exchange.status} {where}", message))
    return found


@dataclass(frozen=True)
class Allowance:
    """A known quirk of a description: violations it matches (``*`` globs) are not reported."""

    api: str
    operation: str
    where: str
    reason: str
    message: str = "*"

    def covers(self, violation: Violation) -> bool:
        globs = ((self.operation, violation.operation), (self.where, violation.where))
        matched = all(_glob_matches(p, t) for p, t in (*globs, (self.message, violation.message)))
        return self.api == violation.api and matched


def _glob_matches(pattern: str, text: str) -> bool:
    """``*`` matches anything; every other character, ``[*]`` of JSON paths too, is literal."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), text) is not None


def load_allowlist(path: Path = SCHEMAS / "allowlist.yaml") -> list[Allowance]:
    """The entries of ``allowlist.yaml``; each names its api, operation and reason (optional:
    ``where`` and ``message`` globs)."""
    entries = yaml.safe_load(path.read_text()) or []
    allowances = []
    for entry in entries:
        missing = {"api", "operation", "reason"} - set(entry)
        if missing or not str(entry.get("reason", "")).strip():
            raise ValueError(f"allowlist entry {entry!r} needs api, operation and a reason")
        where, message = entry.get("where", "*"), entry.get("message", "*")
        allowances.append(Allowance(entry["api"], entry["operation"], where, entry["reason"], message))
    return allowances


def check_all(
    exchanges: Iterable[Exchange],
    bases: Sequence[tuple[str, str]] = PUBLIC_BASES,
    allowlist: Sequence[Allowance] | None = None,
) -> list[Violation]:
    """The violations of all ``exchanges`` the allowlist does not cover, each reported once."""
    allowed = load_allowlist() if allowlist is None else allowlist
    seen: dict[Violation, None] = {}
    for exchange in exchanges:
        for violation in check_exchange(exchange, bases):
            if not any(entry.covers(violation) for entry in allowed):
                seen.setdefault(violation, None)
    return list(seen)
