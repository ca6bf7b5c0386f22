"""Custom domains on a Vercel project: attach, verify, read the DNS configuration, report.

A domain is active when Vercel has verified the project owns it and its DNS points at Vercel
(``GET /v6/domains/{d}/config`` not ``misconfigured``). What is still needed comes from the API:
TXT challenges from the domain's ``verification`` list (``_vercel.<apex>``; the list may be absent
even when unverified - vercel/sdk#113 - so we then say so rather than guess), and the A / CNAME
records from ``recommendedIPv4`` / ``recommendedCNAME`` (never hard-coded values). Pending domains
are reported, not raised: DNS is outside this run's control.
"""

from __future__ import annotations

import logging
from typing import Any

from ci_deploy import http
from ci_deploy.errors import PlatformError
from ci_deploy.platforms.base import DnsRecord, DomainStatus
from ci_deploy.platforms.domain_wait import DomainWait
from ci_deploy.platforms.vercel.api import VercelApi, VercelApiError

log = logging.getLogger("ci_deploy.platforms.vercel.adapter")

FIRST_DELAY = 2.0
MAX_DELAY = 10.0


def _best(recommended: Any) -> list[str]:
    """Values of the best-ranked (lowest ``rank``) recommendation."""
    items = [r for r in recommended or [] if isinstance(r, dict) and r.get("value")]
    if not items:
        return []
    value = min(items, key=lambda r: r.get("rank", 0) if isinstance(r.get("rank"), int) else 0)["value"]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def dns_records(name: str, apex: str, config: dict[str, Any]) -> list[DnsRecord]:
    """Pure: the A (apex) or CNAME (subdomain) records Vercel recommends for ``name``."""
    ips = _best(config.get("recommendedIPv4"))
    cnames = _best(config.get("recommendedCNAME"))
    if name != apex and cnames:
        return [DnsRecord("CNAME", name, cnames[0])]
    return [DnsRecord("A", name, ip) for ip in ips]


def status_of(domain: dict[str, Any], config: dict[str, Any] | None) -> DomainStatus:
    """Pure: a domain's state and the records still missing, from the API's answers."""
    name = str(domain.get("name") or "")
    apex = str(domain.get("apexName") or name)
    records: list[DnsRecord] = []
    notes: list[str] = []
    verified = domain.get("verified") is True
    if not verified:
        challenges = [
            DnsRecord("TXT", str(v.get("domain")), str(v.get("value")))
            for v in domain.get("verification") or []
            if isinstance(v, dict) and str(v.get("type", "")).upper() == "TXT"
        ]
        records += challenges
        notes.append(
            "waiting for the TXT verification record"
            if challenges
            else "not verified yet; Vercel did not list the TXT challenge (see the project's domain settings)"
        )
    if config is None:
        notes.append("its DNS configuration could not be read")
    elif config.get("misconfigured"):
        needed = dns_records(name, apex, config)
        records += needed
        notes.append(
            "DNS does not point at Vercel yet" + ("" if needed else " (no recommended record given)")
        )
    active = verified and config is not None and not config.get("misconfigured")
    return DomainStatus(
        name,
        "active" if active else "pending",
        tuple(records),
        "; ".join(notes),
        certificate_state(verified, config),
    )


def certificate_state(verified: bool, config: dict[str, Any] | None) -> str:
    """What Vercel's answers say of the certificate: it issues one itself once the domain is
    verified and its DNS points at Vercel (the API reports no certificate state of its own)."""
    if config is None:
        return ""
    if verified and not config.get("misconfigured"):
        return "issued by Vercel (domain verified, DNS configured)"
    return "pending: Vercel issues it once the domain is verified and its DNS points at Vercel"


def _project_domain(api: VercelApi, project_id: str, name: str) -> dict[str, Any] | None:
    try:
        body = api.call("GET", f"/v9/projects/{project_id}/domains/{name}")
    except VercelApiError as exc:
        if exc.status == 404:
            return None
        raise
    return body if isinstance(body, dict) else None


def _known_domain(api: VercelApi, project_id: str, name: str) -> dict[str, Any] | None:
    """The project's record of ``name``, or None when it has none or cannot be read now."""
    try:
        return _project_domain(api, project_id, name)
    except PlatformError as exc:
        log.info("reading the domain %s failed: %s", name, exc.message)
    except http.NO_ANSWER as exc:
        log.info("reading the domain %s failed: %s", name, http.no_answer_reason(exc))
    return None


def _config(api: VercelApi, project_id: str, name: str) -> dict[str, Any] | None:
    try:
        body = api.call("GET", f"/v6/domains/{name}/config", params={"projectIdOrName": project_id})
    except VercelApiError as exc:
        log.info("reading the DNS configuration of %s failed: %s", name, exc.message)
        return None
    except http.NO_ANSWER as exc:
        log.info("reading the DNS configuration of %s failed: %s", name, http.no_answer_reason(exc))
        return None
    return body if isinstance(body, dict) else None


def add_domain(api: VercelApi, project_id: str, name: str) -> dict[str, Any] | DomainStatus:
    """Attach ``name`` (already attached is fine); a refusal, or no answer, becomes an ``error``
    status."""
    try:
        body = api.call("POST", f"/v10/projects/{project_id}/domains", json={"name": name})
    except VercelApiError as exc:
        existing = _known_domain(api, project_id, name) if exc.status in (400, 409) else None
        if existing is not None:
            return existing
        return DomainStatus(name, "error", message=f"Vercel refused the domain ({exc.code}): {exc.message}")
    except http.NO_ANSWER as exc:
        reason = f"no answer from Vercel while attaching it ({http.no_answer_reason(exc)})"
        return DomainStatus(name, "error", message=reason)
    return {"name": name, **body} if isinstance(body, dict) else {"name": name}


def verify(api: VercelApi, project_id: str, domain: dict[str, Any]) -> dict[str, Any]:
    """Ask Vercel to check the TXT challenge; keep what we knew when it cannot yet."""
    name = str(domain.get("name"))
    try:
        body = api.call("POST", f"/v9/projects/{project_id}/domains/{name}/verify")
    except VercelApiError as exc:
        log.info("verification of %s is still pending: %s", name, exc.message)
        body = _known_domain(api, project_id, name)
    except http.NO_ANSWER as exc:
        log.info("verification of %s is still pending: %s", name, http.no_answer_reason(exc))
        return domain
    if not isinstance(body, dict):
        return domain
    merged = {**domain, **body}
    if not body.get("verification") and domain.get("verification"):
        merged["verification"] = domain["verification"]
    return merged


def attach_domains(
    api: VercelApi, project_id: str, names: list[str], wait_seconds: float
) -> list[DomainStatus]:
    """Attach, verify and poll until every domain is active or ``wait_seconds`` have passed."""
    statuses: dict[str, DomainStatus] = {}
    domains: dict[str, dict[str, Any]] = {}
    for name in names:
        added = add_domain(api, project_id, name)
        if isinstance(added, DomainStatus):
            statuses[name] = added
        else:
            domains[name] = added
    wait = DomainWait(api.clock, wait_seconds)
    delay = FIRST_DELAY
    while True:
        for name, domain in domains.items():
            if name in statuses and statuses[name].status == "active":
                continue
            if domain.get("verified") is not True:
                domain = domains[name] = verify(api, project_id, domain)
            statuses[name] = status_of(domain, _config(api, project_id, name))
        wait.report(statuses[name] for name in names)
        remaining = wait.remaining()
        if all(s.status != "pending" for s in statuses.values()) or remaining <= 0:
            return [statuses[name] for name in names]
        api.sleep(min(delay, remaining))
        delay = min(MAX_DELAY, delay * 1.5)


def domain_status(api: VercelApi, project_id: str, names: list[str]) -> list[DomainStatus]:
    """Read-only: each domain's state; one not on the project is an ``error``."""
    out = []
    for name in names:
        try:
            domain = _project_domain(api, project_id, name)
        except PlatformError as exc:
            out.append(DomainStatus(name, "error", message=exc.message))
            continue
        except http.NO_ANSWER as exc:
            reason = f"no answer from Vercel ({http.no_answer_reason(exc)})"
            out.append(DomainStatus(name, "error", message=reason))
            continue
        if domain is None:
            out.append(DomainStatus(name, "error", message="not attached to the project"))
        else:
            out.append(status_of(domain, _config(api, project_id, name)))
    return out
