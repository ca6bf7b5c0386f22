"""The webhook receiver through the running sandbox: every POST is recorded with its body and
headers, read back over the control API; Slack's host answers as Slack does; faults apply."""

from __future__ import annotations

from loopback import loopback_client

from ci_deploy_sandbox.runtime import Sandbox


def test_a_delivery_is_recorded_with_body_and_headers_and_the_control_route_reads_it(
    sandbox: Sandbox,
) -> None:
    with loopback_client() as client:
        answer = client.post(
            sandbox.webhook_url("ci/deploys?token=t1"),
            content=b'{"event":"deploy.succeeded"}',
            headers={"Content-Type": "application/json", "X-CI-Deploy-Signature": "sha256=ab"},
        )
        assert answer.status_code == 200 and answer.json() == {"ok": True}
        deliveries = client.get(f"{sandbox.control_url}/webhooks").json()["deliveries"]
    (delivery,) = deliveries
    assert delivery["host"] == "hooks.localhost" and delivery["path"] == "/ci/deploys"
    assert delivery["body"] == '{"event":"deploy.succeeded"}'
    assert delivery["headers"]["x-ci-deploy-signature"] == "sha256=ab"
    assert sandbox.webhooks() == deliveries
    assert [e.endpoint for e in sandbox.log()] == ["webhooks.receive"]


def test_slacks_host_answers_ok_as_text(sandbox: Sandbox) -> None:
    with loopback_client() as client:
        answer = client.post(sandbox.webhook_url("services/T0/B0/x", slack=True), json={"text": "hi"})
    assert (answer.status_code, answer.text) == (200, "ok")
    (delivery,) = sandbox.webhooks()
    assert delivery["host"] == "hooks.slack.localhost" and '"text"' in delivery["body"]
    assert [e.endpoint for e in sandbox.log()] == ["webhooks.slack"]


def test_a_fault_on_one_receiver_leaves_the_other_and_records_nothing(sandbox: Sandbox) -> None:
    sandbox.inject("status=500@webhooks.receive")
    with loopback_client() as client:
        failed = client.post(sandbox.webhook_url("x"), json={})
        slack = client.post(sandbox.webhook_url("services/x", slack=True), json={})
    assert (failed.status_code, slack.status_code) == (500, 200)
    assert [d["host"] for d in sandbox.webhooks()] == ["hooks.slack.localhost"]
