"""Every conformance run is also a contract check: the ``sandbox`` fixture here is the shared
one plus, after the test, a check of every request the official CLI sent and every answer the
sandbox gave against the official API descriptions (see ``sandbox_traffic``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_traffic import traffic_report

from ci_deploy_sandbox.runtime import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running
        report = traffic_report(running)
    assert not report, f"{len(report)} differences from the API descriptions:\n" + "\n".join(report)
