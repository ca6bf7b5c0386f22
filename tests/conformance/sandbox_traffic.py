"""Check what the official CLIs sent and what the sandbox answered, from the sandbox's side.

The conformance tests run ``wrangler`` and ``vercel`` as subprocesses, so no client hook can see
their traffic; the sandbox's request log can: it keeps each request's and response's JSON body
(see ``ci_deploy_sandbox.control``). Each logged API exchange is checked by ``api_contract``
against the same official descriptions as ci-deploy's own traffic. A call the descriptions do
not contain is reported as ``undocumented`` and must be in ``tests/api_schemas/allowlist.yaml``
with a reason; nothing is skipped silently.
"""

from __future__ import annotations

from api_contract import Exchange, Violation, check_all

from ci_deploy_sandbox.control import LogEntry
from ci_deploy_sandbox.runtime import Sandbox

#: hosts the sandbox serves its APIs on; any other host is a deployed site, not an API
API_HOSTS = ("127.0.0.1", "localhost")


def api_bases(sandbox: Sandbox) -> list[tuple[str, str]]:
    """Where the sandbox serves each API: one origin, told apart by path prefix."""
    return [
        (sandbox.cloudflare_api_url, "cloudflare"),
        (sandbox.github_api_url, "github"),
        (sandbox.vercel_api_url, "vercel"),
    ]


def _exchange(sandbox: Sandbox, entry: LogEntry) -> Exchange:
    def body(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    return Exchange(
        method=entry.method,
        url=f"{sandbox.origin}{entry.path}",
        request_type=entry.request_type,
        request_body=body(entry.request_body),
        status=entry.status or 0,
        response_type=entry.response_type,
        response_body=body(entry.response_body),
    )


def logged_exchanges(sandbox: Sandbox) -> list[Exchange]:
    """The API exchanges in the sandbox's log. Left out, by design: control requests (never
    logged), site requests (not an API), and injected faults or dropped connections (the test
    chose that answer, the sandbox did not)."""
    return [
        _exchange(sandbox, entry)
        for entry in sandbox.log()
        if entry.host in API_HOSTS and entry.fault is None and entry.status is not None
    ]


def traffic_report(sandbox: Sandbox) -> list[str]:
    """One line per difference from the descriptions the allowlist does not cover, undocumented
    calls first; [] when everything logged is as documented."""
    found: list[Violation] = check_all(logged_exchanges(sandbox), api_bases(sandbox))
    undocumented = [f"undocumented: {v.api} {v.operation}" for v in found if v.where == "undocumented"]
    return undocumented + [str(v) for v in found if v.where != "undocumented"]
