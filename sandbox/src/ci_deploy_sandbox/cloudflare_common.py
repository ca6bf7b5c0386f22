"""What the parts of the emulated Cloudflare API share: the response envelope, errors, paging,
timestamps and the settings they read.

Every answer is Cloudflare's envelope ``{success, errors, messages, result, result_info?}``:
clients (wrangler included) trust ``success`` and ``errors[0].code``, not the HTTP status, so
an error must carry the right code as well as the right status.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from ci_deploy_sandbox import app

JsonDict = dict[str, Any]

#: the suffix the emulated ``*.pages.dev`` hosts get instead: loopback by RFC 6761
PAGES_SUFFIX = "pages.localhost"

# Error codes. Those marked [emu] are the sandbox's choice: the real code is not documented.
UNKNOWN_ERROR = 8000000
PROJECT_NOT_FOUND = 8000007
BAD_UPLOAD_TOKEN = 8000013
ALIASED_DEPLOYMENT = 8000035
BAD_REQUEST = 8000015  # [emu] a malformed Pages request body
PROJECT_EXISTS = 8000002  # [emu]
DEPLOYMENT_NOT_FOUND = 8000009  # [emu]
MISSING_ASSETS = 8000096  # [emu] manifest names a hash the project's store does not hold
LIVE_PRODUCTION = 8000034  # [emu] the live production deployment cannot be deleted
NOT_ROLLBACKABLE = 8000040  # [emu]
DOMAIN_EXISTS = 8000018  # [emu]
DOMAIN_NOT_FOUND = 8000019  # [emu]
AUTH_ERROR = 10000


class CloudflareErrorReply(Exception):
    """An API error: HTTP status plus one or more ``{code, message}`` entries."""

    def __init__(self, status: int, code: int, message: str, *more: tuple[int, str]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.errors = [{"code": code, "message": message}] + [{"code": c, "message": m} for c, m in more]

    def response(self) -> app.Response:
        return failure(self.status, self.errors)


def success(result: Any, result_info: JsonDict | None = None, status: int = 200) -> app.Response:
    payload: JsonDict = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        payload["result_info"] = result_info
    return app.Response.json(payload, status)


def failure(status: int, errors: list[JsonDict]) -> app.Response:
    return app.Response.json({"success": False, "errors": errors, "messages": [], "result": None}, status)


def bad_request(message: str, code: int = BAD_REQUEST) -> CloudflareErrorReply:
    return CloudflareErrorReply(400, code, message)


def no_route(path: str) -> CloudflareErrorReply:
    """What Cloudflare answers for an unknown path or an object id it cannot find (a zone)."""
    return CloudflareErrorReply(
        400,
        7003,
        f"Could not route to {path.removeprefix('/client/v4')}, perhaps your object identifier is invalid?",
        (7000, "No route for that URI"),
    )


def auth_error() -> CloudflareErrorReply:
    return CloudflareErrorReply(403, AUTH_ERROR, "Authentication error")


def paged(
    request: app.Request, items: list[Any], per_page_default: int = 25, per_page_max: int = 1000
) -> app.Response:
    """One page of ``items`` with ``result_info``, as ``?page=&per_page=`` ask."""
    page = _positive_int(request.arg("page"), 1)
    per_page = min(_positive_int(request.arg("per_page"), per_page_default), per_page_max)
    chunk = items[(page - 1) * per_page : page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": max(1, math.ceil(len(items) / per_page)),
    }
    return success(chunk, info)


def _positive_int(text: str | None, default: int) -> int:
    try:
        value = int(text) if text is not None else default
    except ValueError:
        raise bad_request(f"not a number: {text!r}") from None
    return value if value > 0 else default


def body_object(request: app.Request) -> JsonDict:
    """The JSON object in the request body ({} when empty), or a 400."""
    payload = body_json(request)
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise bad_request("The request body must be a JSON object")
    return payload


def body_json(request: app.Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError as exc:
        raise bad_request(f"Invalid JSON in the request body: {exc}") from exc


def iso(timestamp: float) -> str:
    """A Cloudflare timestamp: UTC with microseconds, e.g. ``2021-10-25T12:21:21.538963Z``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def setting_number(world: app.World, name: str, default: float) -> float:
    """A numeric setting; a value that is not a number falls back to the default."""
    value = world.setting(name, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
