"""Fixtures of the conformance tests: the official CLIs, each bound to a fresh sandbox and a
temporary folder (helpers in vercel_harness.py and wrangler_harness.py).

Every conformance run is also a contract check: the ``sandbox`` fixture here is the shared one
plus, after the test, a check of every request the official CLI sent and every answer the sandbox
gave against the official API descriptions (see ``sandbox_traffic``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sandbox_traffic import traffic_report
from vercel_harness import VercelCli, make_vercel_cli, require_vercel_cli
from wrangler_harness import Wrangler, make_wrangler

from ci_deploy_sandbox.runtime import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running
        report = traffic_report(running)
    assert not report, f"{len(report)} differences from the API descriptions:\n" + "\n".join(report)


@pytest.fixture
def vercel(sandbox: Sandbox, tmp_path: Path) -> Callable[[str], VercelCli]:
    """``vercel(site)``: the CLI in a fresh, unlinked working copy of ``vercel_sites/<site>``."""
    require_vercel_cli()
    return lambda site: make_vercel_cli(sandbox, tmp_path, site)


@pytest.fixture
def wrangler(sandbox: Sandbox, tmp_path: Path) -> Wrangler:
    """``wrangler(*args, input=None, **env_overrides)``: the real CLI pointed at the sandbox."""
    return make_wrangler(sandbox, tmp_path)
