"""Performance figures users can act on: this deployment's per-path timings from the health
checks, compared with the production deployment it replaced when that one is still reachable.

The figures come from the health checker's own samples (:mod:`ci_deploy.health.checks`); the
previous deployment is measured by the same checker at its immutable URL, once, with a short
deadline and no body text to match (its build is older), so a gone or protected deployment
simply leaves the comparison out.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ci_deploy.health.checks import HealthResult, PathCheck, check_health
from ci_deploy.health.spec import HealthSpec
from ci_deploy.platforms.base import Deployment, Platform
from ci_deploy.report.perf import PerfFacts, PerfRow

log = logging.getLogger("ci_deploy.observe.perf")

#: seconds the previous deployment gets to answer: it is live already, it needs no propagation
PREVIOUS_DEADLINE = 10.0
_CACHE_HEADERS = ("cache-control", "age", "cf-cache-status", "x-vercel-cache")


def perf_facts(
    spec: HealthSpec,
    result: HealthResult,
    platform: Platform,
    deployment: Deployment,
    previous: Deployment | None,
) -> PerfFacts | None:
    """This deployment's figures (None when no path was measured), with the previous
    production deployment's p95 first byte beside them when both could be measured."""
    # a path that missed a budget was measured too: its figures are the ones to look at
    measured = [check for check in result.checks if check.ttfb_p95_ms is not None]
    if not measured:
        return None
    before: dict[str, float] = {}
    compared, note = "", ""
    if previous is not None and previous.id != deployment.id and previous.url:
        before = _measure_previous(spec, platform, previous)
        compared = previous.id if before else ""
        note = "" if before else f"the previous deployment {previous.id} could not be measured"
    rows = tuple(_row(check, before.get(check.path)) for check in measured)
    return PerfFacts(rows, compared_with=compared, budget_ms=spec.ttfb_p95_budget_ms, note=note)


def _measure_previous(spec: HealthSpec, platform: Platform, previous: Deployment) -> dict[str, float]:
    """p95 first byte per path of ``previous``, only paths that answered healthy."""
    quick = replace(
        spec,
        base_url=previous.url,
        timeout=min(spec.timeout, PREVIOUS_DEADLINE),
        text=None,
        max_latency_ms=None,
        ttfb_p95_budget_ms=None,
    )
    log.info("Measuring the previous production deployment %s for comparison", previous.id)
    result = check_health(quick, platform.health_hints(previous))
    return {
        check.path: check.ttfb_p95_ms
        for check in result.checks
        if check.passed and check.ttfb_p95_ms is not None
    }


def _row(check: PathCheck, previous_ttfb_p95: float | None) -> PerfRow:
    headers = dict(check.headers)
    return PerfRow(
        path=check.path,
        samples=check.samples,
        ttfb_ms=check.ttfb_ms or 0.0,
        ttfb_p95_ms=check.ttfb_p95_ms or 0.0,
        total_ms=check.total_ms or 0.0,
        total_p95_ms=check.total_p95_ms or 0.0,
        bytes=check.bytes,
        encoding=headers.get("content-encoding", ""),
        cache=tuple((name, headers[name]) for name in _CACHE_HEADERS if name in headers),
        previous_ttfb_p95_ms=previous_ttfb_p95,
    )
