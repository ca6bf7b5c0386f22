"""Direct-upload assets: the upload JWT and the three ``/pages/assets/*`` endpoints it unlocks.

The JWT names the project whose content-hash store the calls read and fill; it expires after
``cloudflare.upload_token_ttl`` seconds (default 300; the real TTL is unknown) and then answers
401 with code 8000013, on which wrangler fetches a new one. Its payload is plain base64url JSON
because wrangler decodes it (without verifying) to read ``exp`` and ``max_file_count_allowed``.

Request bodies reach ~53 MiB (wrangler's 40 MiB buckets, base64-encoded): they are decoded with
``json.loads`` on the bytes and a strict ``binascii.a2b_base64``, both C speed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from ci_deploy_sandbox import app
from ci_deploy_sandbox.cloudflare_auth import Grant, TokenRoute
from ci_deploy_sandbox.cloudflare_common import (
    BAD_UPLOAD_TOKEN,
    CloudflareErrorReply,
    JsonDict,
    bad_request,
    body_json,
    body_object,
    setting_number,
    success,
)
from ci_deploy_sandbox.cloudflare_context import Context
from ci_deploy_sandbox.cloudflare_manifest import matching_extension
from ci_deploy_sandbox.cloudflare_state import Project

HASH = re.compile(r"^[0-9a-f]{32}$")
MAX_ASSET_SIZE = 25 * 1024 * 1024
DEFAULT_TTL_S = 300
DEFAULT_MAX_FILES = 20_000

#: (method, path, endpoint, handler) of the JWT-authenticated routes
JwtRoute = tuple[str, str, str, app.Handler]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Assets:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def token_routes(self) -> list[TokenRoute]:
        return [
            (
                "GET",
                "/accounts/{account}/pages/projects/{name}/upload-token",
                "cloudflare.assets.token",
                self.upload_token,
            )
        ]

    def jwt_routes(self) -> list[JwtRoute]:
        return [
            ("POST", "/pages/assets/check-missing", "cloudflare.assets.check_missing", self.check_missing),
            ("POST", "/pages/assets/upload", "cloudflare.assets.upload", self.upload),
            ("POST", "/pages/assets/upsert-hashes", "cloudflare.assets.upsert_hashes", self.upsert_hashes),
        ]

    # --- the JWT --------------------------------------------------------------------------------

    def upload_token(self, request: app.Request, grant: Grant) -> app.Response:
        grant.require_account(request.params["account"])
        project = self.ctx.project(request.params["account"], request.params["name"])
        return success({"jwt": self.issue(project)})

    def issue(self, project: Project) -> str:
        now = int(self.ctx.now())
        claims = {
            "account_id": project.account_id,
            "project_id": project.id,
            "project_name": project.name,
            "max_file_count_allowed": int(
                setting_number(self.ctx.world, "cloudflare.max_file_count", DEFAULT_MAX_FILES)
            ),
            "iat": now,
            "exp": now + int(setting_number(self.ctx.world, "cloudflare.upload_token_ttl", DEFAULT_TTL_S)),
            "jti": secrets.token_hex(8),
        }
        signing_input = _b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64url(json.dumps(claims).encode())
        return signing_input + "." + _b64url(self._sign(signing_input))

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(
            bytes.fromhex(self.ctx.state.upload_secret), signing_input.encode(), hashlib.sha256
        ).digest()

    def verify(self, request: app.Request) -> Project:
        """The project the request's JWT was issued for, or 401 code 8000013."""
        token = request.bearer or ""
        parts = token.split(".")
        try:
            if len(parts) != 3 or not hmac.compare_digest(
                _unb64url(parts[2]), self._sign(f"{parts[0]}.{parts[1]}")
            ):
                raise ValueError("bad signature")
            claims: JsonDict = json.loads(_unb64url(parts[1]))
        except (ValueError, binascii.Error):
            raise expired_token("Invalid upload token") from None
        if float(claims.get("exp", 0)) <= self.ctx.now():
            raise expired_token("The upload token has expired")
        project = self.ctx.state.projects.get(self.ctx.key(claims["account_id"], claims["project_name"]))
        if project is None or project.id != claims.get("project_id"):
            raise expired_token("The upload token's project no longer exists")
        return project

    # --- the endpoints --------------------------------------------------------------------------

    def check_missing(self, request: app.Request) -> app.Response:
        project = self.verify(request)
        wanted = hash_list(body_object(request).get("hashes"))
        missing = [h for h in dict.fromkeys(wanted) if not self.ctx.world.blobs.has(project.namespace, h)]
        return success(missing)

    def upload(self, request: app.Request) -> app.Response:
        """Store each ``{key, value, metadata, base64}`` under its key. The key must be 32 hex;
        whether it is the content's Pages hash depends on the file's extension, known only from
        the manifest: when the content type suggests an extension that matches, the pair is
        remembered as checked, else deployment creation checks it (reading the blob back)."""
        project = self.verify(request)
        items = body_json(request)
        if not isinstance(items, list):
            raise bad_request("The upload body must be a JSON array of {key, value, metadata, base64}")
        blobs = [decode_item(item) for item in items]
        verified = self.ctx.verified_hashes(project)
        for item, (key, data) in zip(items, blobs, strict=True):
            self.ctx.world.blobs.put(project.namespace, key, data)
            encoded = item["value"].encode("ascii") if item.get("base64") else base64.b64encode(data)
            metadata = item.get("metadata")
            content_type = metadata.get("contentType") if isinstance(metadata, dict) else None
            ext = matching_extension(key, encoded, content_type if isinstance(content_type, str) else "")
            if ext is not None:
                verified.add((key, ext))
        self.ctx.world.count("files_uploaded", len(blobs))
        self.ctx.world.count("bytes_uploaded", sum(len(data) for _, data in blobs))
        return success(None)

    def upsert_hashes(self, request: app.Request) -> app.Response:
        """Refreshes store entries so later deploys may skip them. The sandbox's store never
        expires entries, so this only validates the request."""
        self.verify(request)
        hash_list(body_object(request).get("hashes"))
        return success(None)


def expired_token(message: str) -> CloudflareErrorReply:
    return CloudflareErrorReply(401, BAD_UPLOAD_TOKEN, message)


def hash_list(hashes: Any) -> list[str]:
    if not isinstance(hashes, list) or not all(isinstance(h, str) and HASH.match(h) for h in hashes):
        raise bad_request('"hashes" must be an array of 32-character lowercase hex strings')
    return hashes


def decode_item(item: Any) -> tuple[str, bytes]:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("key"), str)
        or not isinstance(item.get("value"), str)
    ):
        raise bad_request("Each upload entry must be {key, value, metadata, base64}")
    key: str = item["key"]
    if not HASH.match(key):
        raise bad_request(f"Upload key {key!r} is not a 32-character lowercase hex hash")
    try:
        value: str = item["value"]
        data = binascii.a2b_base64(value, strict_mode=True) if item.get("base64") else value.encode()
    except binascii.Error:
        raise bad_request(f"The value of {key} is not valid base64") from None
    if len(data) > MAX_ASSET_SIZE:
        raise bad_request(f"{key} is {len(data)} bytes; files may be at most 25 MiB")
    return key, data
