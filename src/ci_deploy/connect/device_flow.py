"""Signing in on another device (OAuth 2.0 device authorization grant, RFC 8628), for a token
``connect`` can use when none was given.

The flow: ``POST`` the client id and scope to the device endpoint, show the person the
``user_code`` and where to enter it, then ``POST`` the ``device_code`` to the token endpoint
every ``interval`` seconds until an access token comes back. ``authorization_pending`` means
ask again later, ``slow_down`` adds 5 seconds to the interval for the rest of the flow,
``expired_token`` (or the code's ``expires_in`` passing) and ``access_denied`` end the run with
one line (exit 2), nothing written. GitHub answers every poll with 200 and the error in the
body; RFC servers (Vercel) answer 400: both are read the same way. The token is registered for
redaction the moment it arrives and is never printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ci_deploy import http, redaction
from ci_deploy.errors import InputError, PlatformError

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 section 3.5: the interval grows by this much on every ``slow_down``
SLOW_DOWN_SECONDS = 5.0
#: RFC 8628 section 3.2: the interval when the server names none
DEFAULT_INTERVAL = 5.0


@dataclass(frozen=True)
class DeviceFlow:
    """One authorization server's device flow, and how a person fixes what goes wrong.

    ``provider`` names it in messages ("GitHub"); ``client_id_from`` says where the client id
    came from (flag or variable); ``fallback`` is the other way to give a token."""

    provider: str
    device_url: str
    token_url: str
    client_id: str
    scope: str
    client_id_from: str
    fallback: str


@dataclass(frozen=True)
class DeviceCode:
    """The device endpoint's answer: what the person enters where, and how to poll."""

    device_code: str
    user_code: str
    verification_uri: str
    expires_in: float
    interval: float
    verification_uri_complete: str = ""


@dataclass(frozen=True)
class Grant:
    """The access token a sign-in got (its lifetime is not kept: a token that expires is not
    what ``connect`` stores; see :mod:`ci_deploy.connect.ci_token`)."""

    access_token: str


@dataclass(frozen=True)
class Clock:
    """How polling waits and tells time; tests pass a fake one so nothing really sleeps."""

    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic


#: the clock a flow polls on when the caller passes none; the seam for whole-run tests
default_clock = Clock()


def sign_in(flow: DeviceFlow, clock: Clock | None = None) -> Grant:
    """Run the whole flow: the code, the prompt (on stderr), the polling; returns the token."""
    clock = clock or default_clock
    with http.new_client(headers={"Accept": "application/json"}) as client:
        code = request_code(client, flow)
        where = code.verification_uri_complete or code.verification_uri
        print(
            f"{flow.provider}: open {where} and enter the code {code.user_code} "
            f"(it expires in {round(code.expires_in / 60)} minutes); waiting for approval...",
            file=sys.stderr,
        )
        grant = poll(client, flow, code, clock)
    print(f"{flow.provider}: signed in", file=sys.stderr)
    return grant


def request_code(client: httpx.Client, flow: DeviceFlow) -> DeviceCode:
    """``POST`` the client id and scope to the device endpoint."""
    form = {"client_id": flow.client_id, "scope": flow.scope}
    answer = _answer(http.send(client, "POST", flow.device_url, data=form), flow)
    if "error" in answer:
        raise _refused(flow, answer)
    try:
        code = DeviceCode(
            device_code=str(answer["device_code"]),
            user_code=str(answer["user_code"]),
            verification_uri=str(answer.get("verification_uri") or answer["verification_url"]),
            expires_in=float(answer["expires_in"]),
            interval=float(answer.get("interval") or DEFAULT_INTERVAL),
            verification_uri_complete=str(answer.get("verification_uri_complete") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise PlatformError(f"{flow.provider}'s device endpoint answered without a device code") from None
    redaction.register(code.device_code)
    return code


def poll(client: httpx.Client, flow: DeviceFlow, code: DeviceCode, clock: Clock) -> Grant:
    """Ask the token endpoint every interval until approved, denied or expired."""
    interval, deadline = code.interval, clock.now() + code.expires_in
    form = {"client_id": flow.client_id, "device_code": code.device_code, "grant_type": GRANT_TYPE}
    while clock.now() + interval < deadline:
        clock.sleep(interval)
        answer = _answer(http.send(client, "POST", flow.token_url, data=form), flow)
        error = str(answer.get("error", ""))
        if not error and isinstance(answer.get("access_token"), str) and answer["access_token"]:
            return _granted(answer)
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval = max(interval + SLOW_DOWN_SECONDS, _number(answer.get("interval")))
            continue
        if error == "expired_token":
            break
        if error == "access_denied":
            raise InputError(
                f"{flow.provider} sign-in was denied in the browser: run connect again and approve "
                f"the code, or {flow.fallback}"
            )
        raise _refused(flow, answer)
    raise InputError(
        f"{flow.provider} sign-in code {code.user_code} expired before it was approved: run connect "
        f"again and approve it within {round(code.expires_in / 60)} minutes, or {flow.fallback}"
    )


def _granted(answer: dict[str, Any]) -> Grant:
    token = str(answer["access_token"])
    redaction.register(token)
    return Grant(token)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _answer(response: httpx.Response, flow: DeviceFlow) -> dict[str, Any]:
    """The JSON object of an answer; a server fault or a body that is not JSON is an error."""
    if response.status_code >= 500:
        raise PlatformError(
            f"{flow.provider}'s sign-in endpoint failed ({response.status_code}): try again later",
            status=response.status_code,
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise PlatformError(
            f"{flow.provider}'s sign-in endpoint answered {response.status_code} without a JSON object",
            status=response.status_code,
        )
    if response.status_code >= 400 and "error" not in answer:
        answer = {"error": f"http_{response.status_code}", "error_description": str(answer)[:200]}
    return answer


def _refused(flow: DeviceFlow, answer: dict[str, Any]) -> InputError:
    why = str(answer.get("error", ""))
    if answer.get("error_description"):
        why += f": {answer['error_description']}"
    return InputError(
        f"{flow.provider} refused the device sign-in ({why}): check the client id "
        f"{flow.client_id} ({flow.client_id_from}) is an OAuth app with the device flow enabled, "
        f"or {flow.fallback}"
    )
