"""Shared fixtures for running ci-deploy against the sandbox: a running sandbox per test, and
an HTTP client that reaches ``*.localhost``.

``sandbox`` is a fresh sandbox (every emulated API, empty temporary state) started for one test
and stopped after it. Requests to a deployed site need ``http_get`` (or ``http_client``), because
Python's resolver does not map ``<host>.localhost`` to loopback; ci_deploy's own client does.
The sandbox's own tests (and their stand-in APIs) live in sandbox/tests/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fake_time import FakeTime

from ci_deploy import http
from ci_deploy.connect import device_flow
from ci_deploy.http import new_client
from ci_deploy_sandbox.runtime import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture
def fake_retry_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The waits of every retry (``ci_deploy.http``'s clock) on a fake clock, for whole runs of
    ``ci-deploy action``: outages of minutes cost no real time. Polls keep the real clock."""
    fake = FakeTime()
    monkeypatch.setattr(http, "default_sleep", fake.sleep)
    monkeypatch.setattr(http, "default_clock", fake.clock)
    return fake


@pytest.fixture
def sign_in_clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The device flows poll on a fake clock: the sandbox's 5 s interval costs no real time."""
    fake = FakeTime()
    monkeypatch.setattr(device_flow, "default_clock", device_flow.Clock(sleep=fake.sleep, now=fake.clock))
    return fake


@pytest.fixture(scope="session")
def http_client() -> Iterator[httpx.Client]:
    """One client for the session: making one costs more than most sandbox tests."""
    with new_client(timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def http_get(http_client: httpx.Client) -> Callable[..., httpx.Response]:
    """``http_get(url, **kwargs)``: a GET that opens sandbox sites (no redirects followed)."""

    def get(url: str, **kwargs: Any) -> httpx.Response:
        return http_client.get(url, **kwargs)

    return get
