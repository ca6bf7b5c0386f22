"""Telling people a deploy happened: a signed JSON event to a webhook, and a Slack message.

The event is one JSON object (``deploy.succeeded``, ``deploy.failed`` or ``deploy.rolled_back``)
with what a receiver needs to act; with ``notify-webhook-secret`` its exact body is signed as
``X-CI-Deploy-Signature: sha256=<hex HMAC-SHA256>``, the way GitHub signs its own webhooks.
Every text passes through redaction. A notification never fails the deploy: each channel gets a
few quick retries (never a second POST when the first may have arrived), then a warning.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx

from ci_deploy import runner
from ci_deploy.http import AmbiguousOutcome, RetryPolicy, new_client, send
from ci_deploy.redaction import redact

log = logging.getLogger("ci_deploy.observe.notify")

Kind = Literal["succeeded", "failed", "rolled_back"]
SIGNATURE_HEADER = "X-CI-Deploy-Signature"
#: three tries in a few seconds at most: a slow receiver must not hold the job
RETRY = RetryPolicy(budget=5.0, attempts=3, base_delay=0.5, max_delay=2.0)
_TITLES = {
    "succeeded": "✅ Deploy succeeded",
    "failed": "❌ Deploy failed",
    "rolled_back": "↩️ Deploy rolled back",
}


@dataclass(frozen=True)
class DeployEvent:
    """The event's fields, as the JSON body names them."""

    event: str
    platform: str
    project: str
    environment: str
    url: str
    deployment_id: str
    commit: str
    branch: str
    pr: int | None
    run_url: str
    error: str = ""
    rolled_back_to: str = ""
    sentry_release: str = ""

    @property
    def kind(self) -> Kind:
        kind = self.event.removeprefix("deploy.")
        return "rolled_back" if kind == "rolled_back" else "failed" if kind == "failed" else "succeeded"


def event_body(event: DeployEvent) -> bytes:
    """The exact bytes sent (and signed): compact JSON, redacted."""
    return redact(json.dumps(asdict(event), separators=(",", ":"), ensure_ascii=False)).encode()


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_payload(event: DeployEvent) -> dict[str, Any]:
    """Slack's incoming-webhook message: ``text`` (the notification line) and ``blocks``."""
    title = f"{_TITLES[event.kind]}: {event.project} ({event.environment}) on {event.platform}"
    facts = [f"*URL:* <{event.url}|{event.url}>" if event.url.startswith("http") else ""]
    facts.append(f"*Commit:* `{event.commit[:7]}`" if event.commit else "")
    facts.append(f"*PR:* #{event.pr}" if event.pr else "")
    facts.append(f"*Deployment:* `{event.deployment_id}`" if event.deployment_id else "")
    facts.append(f"*Rolled back to:* `{event.rolled_back_to}`" if event.rolled_back_to else "")
    facts.append(f"*Error:* {_slack_escape(event.error)}" if event.error else "")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(title)}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(f for f in facts if f) or "—"}},
    ]
    if event.run_url:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{event.run_url}|Workflow run>"}]}
        )
    return {"text": redact(title), "blocks": json.loads(redact(json.dumps(blocks)))}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:500]


def notify(
    event: DeployEvent,
    *,
    webhook: str | None,
    secret: str | None,
    slack: str | None,
    client: httpx.Client | None = None,
) -> None:
    """Send ``event`` to each channel set; failures warn."""
    if not (webhook or slack):
        return
    http = client or new_client(timeout=10.0)
    try:
        if webhook:
            body = event_body(event)
            headers = {"Content-Type": "application/json", "X-CI-Deploy-Event": event.event}
            headers["X-CI-Deploy-Delivery"] = uuid.uuid4().hex
            if secret:
                headers[SIGNATURE_HEADER] = signature(secret, body)
            _post(http, "notify-webhook", webhook, body, headers)
        if slack:
            body = json.dumps(slack_payload(event), ensure_ascii=False).encode()
            _post(http, "notify-slack-webhook", slack, body, {"Content-Type": "application/json"})
    finally:
        if client is None:
            http.close()


def _post(http: httpx.Client, input_name: str, url: str, body: bytes, headers: dict[str, str]) -> None:
    """One delivery; the URL is never named (it may hold a token), only the input."""
    try:
        response = send(http, "POST", url, retry=RETRY, idempotent=False, content=body, headers=headers)
    except AmbiguousOutcome:
        problem = "the connection broke after sending (not sent again, to avoid a duplicate)"
    except httpx.HTTPError as exc:
        problem = f"could not be reached ({type(exc).__name__})"
    else:
        if response.is_success:
            log.info("Notified %s (%s)", input_name, response.status_code)
            return
        problem = f"answered {response.status_code}"
    runner.warning(
        f"notification to {input_name} failed: {problem}; the deploy is not affected", title="ci-deploy"
    )
