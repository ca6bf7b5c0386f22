"""Custom domains of a Pages project, and the CNAME each one needs.

Attaching a domain does not create DNS (spec 2.1): the domain stays pending until a CNAME
``<domain>`` -> ``<project subdomain>`` exists. When the domain's zone is in the account and the
token may edit DNS, we create or fix that record (proxied); otherwise we say exactly which
record is missing and which permission would let us add it. Pending domains are reported,
never raised: the deploy itself succeeded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ci_deploy import http
from ci_deploy.errors import InputError
from ci_deploy.platforms.base import DnsRecord, DomainState, DomainStatus
from ci_deploy.platforms.cloudflare_pages.api import CloudflareApi, CloudflareApiError
from ci_deploy.platforms.cloudflare_pages.dns import DnsApi, DnsRefused
from ci_deploy.platforms.cloudflare_pages.model import host_of
from ci_deploy.platforms.domain_wait import DomainWait

log = logging.getLogger("ci_deploy.platforms.cloudflare_pages.domains")

DNS_EDIT = "DNS: Edit"
RECORD_EXISTS = 81053  # an A/AAAA/CNAME with that name exists
POLL_FIRST_DELAY = 0.5
POLL_MAX_DELAY = 5.0


def domain_state(result: dict[str, Any] | None) -> DomainState:
    status = (result or {}).get("status")
    if status == "active":
        return "active"
    if status in ("error", "blocked", "deactivated"):
        return "error"
    return "pending"


def certificate_state(result: dict[str, Any]) -> str:
    """The certificate as Cloudflare reports it: ``validation_data.status`` (the certificate's
    domain-control validation) and the ``certificate_authority`` that issues it."""
    validation = result.get("validation_data") or {}
    status = validation.get("status") if isinstance(validation, dict) else None
    authority = result.get("certificate_authority")
    if not status:
        return ""
    return f"{status} ({authority})" if authority else str(status)


def needed_records(name: str, target: str, result: dict[str, Any] | None) -> tuple[DnsRecord, ...]:
    """The records a pending domain still needs: its CNAME, and a TXT when validation asks."""
    records = [DnsRecord("CNAME", name, target)]
    validation = (result or {}).get("validation_data") or {}
    if (
        validation.get("method") == "txt"
        and validation.get("txt_name")
        and validation.get("status") != "active"
    ):
        records.append(DnsRecord("TXT", str(validation["txt_name"]), str(validation.get("txt_value", ""))))
    return tuple(records)


class DomainsApi:
    """Custom domains of one project, and their DNS where we may fix it."""

    def __init__(
        self,
        api: CloudflareApi,
        account: str,
        project: str,
        subdomain: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._path = f"accounts/{account}/pages/projects/{project}/domains"
        self._target = host_of(subdomain).partition(":")[0]
        self._dns = DnsApi(api, account)
        self._clock = clock

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._api.call("GET", f"{self._path}/{name}"))
        except CloudflareApiError as exc:
            if exc.status == 404:
                return None
            raise

    def attach(self, name: str) -> dict[str, Any]:
        """Add ``name`` to the project; one that is already there is fine. So a lost answer is
        simply sent again: a second attach is refused as a duplicate and the domain read."""
        try:
            return dict(self._api.call("POST", self._path, json={"name": name}))
        except CloudflareApiError as exc:
            existing = self.get(name)
            if existing is None:
                raise exc from None
            return existing

    def detach(self, name: str) -> None:
        try:
            self._api.call("DELETE", f"{self._path}/{name}")
        except CloudflareApiError as exc:
            if exc.status != 404:
                raise

    def status(self, names: list[str]) -> list[DomainStatus]:
        """Each domain's state as the platform reports it, changing nothing."""
        return [self._status(name, self.get(name), "") for name in names]

    def attach_all(self, names: list[str], *, wait_seconds: float) -> list[DomainStatus]:
        """Attach, fix DNS where allowed, print what is still needed, then poll (re-validating)
        until active or ``wait_seconds`` (``domains-timeout``) are up."""
        results: dict[str, dict[str, Any] | None] = {}
        notes: dict[str, str | None] = {}  # None: the CNAME is in place
        for name in names:
            try:
                results[name] = self.attach(name)
            except CloudflareApiError as exc:
                results[name], notes[name] = {"status": "error"}, f"could not attach {name}: {exc.message}"
                continue
            except http.NO_ANSWER as exc:
                reason = f"no answer from Cloudflare ({http.no_answer_reason(exc)})"
                results[name], notes[name] = {"status": "error"}, f"could not attach {name}: {reason}"
                continue
            if domain_state(results[name]) != "active":
                notes[name] = self._fix_dns(name)

        def statuses() -> list[DomainStatus]:
            return [self._status(name, results[name], notes.get(name, "")) for name in names]

        self._poll(results, DomainWait(self._clock, wait_seconds), statuses)
        return statuses()

    def _fix_dns(self, name: str) -> str | None:
        """Create or fix the CNAME; None when it is in place, else what the user must do."""
        record = f"CNAME {name} -> {self._target}"
        try:
            zone = self._dns.zone_for(name)
            if zone is None:
                return f"add the DNS record {record} at your DNS provider"
            self._dns.point_cname(zone, name, self._target)
        except DnsRefused:
            return f"add the DNS record {record} (proxied), or give the token the permission '{DNS_EDIT}'"
        except CloudflareApiError as exc:
            if exc.has_code(RECORD_EXISTS):
                return f"another A/AAAA record exists for {name}: replace it with {record} (proxied)"
            return f"could not create {record}: {exc.message}"
        except http.NO_ANSWER as exc:
            return f"could not create {record}: no answer from Cloudflare ({http.no_answer_reason(exc)})"
        return None

    def _poll(
        self,
        results: dict[str, dict[str, Any] | None],
        wait: DomainWait,
        statuses: Callable[[], list[DomainStatus]],
    ) -> None:
        delay, first = POLL_FIRST_DELAY, True
        while True:
            wait.report(statuses())
            pending = [n for n, r in results.items() if domain_state(r) == "pending"]
            remaining = wait.remaining()
            if not pending or remaining <= 0:
                return
            if not first:
                self._api.sleep(min(delay, remaining))
                delay = min(delay * 2, POLL_MAX_DELAY)
            for name in pending:
                try:
                    # The first round asks Cloudflare to validate again (the CNAME may be new).
                    method = "PATCH" if first else "GET"
                    results[name] = dict(self._api.call(method, f"{self._path}/{name}"))
                except CloudflareApiError as exc:
                    log.info("Checking the domain %s failed: %s", name, exc.message)
                except http.NO_ANSWER as exc:
                    log.info("Checking the domain %s failed: %s", name, http.no_answer_reason(exc))
            first = False

    def _status(self, name: str, result: dict[str, Any] | None, note: str | None) -> DomainStatus:
        """The user's view; ``note`` is None when we put the CNAME in place ourselves."""
        state = domain_state(result)
        if result is None:
            return DomainStatus(name, "error", (), f"{name} is not attached to the project")
        certificate = certificate_state(result)
        if state == "active":
            return DomainStatus(name, "active", certificate=certificate)
        validation = result.get("validation_data") or {}
        reason = validation.get("error_message") or (result.get("verification_data") or {}).get(
            "error_message"
        )
        attached = "name" in result  # an attach Cloudflare refused left only {"status": "error"}
        records = needed_records(name, self._target, result) if note is not None and attached else ()
        message = "CNAME in place; waiting for Cloudflare to validate the domain" if note is None else note
        if not message:
            message = "; ".join(f"add the DNS record {r.type} {r.name} -> {r.value}" for r in records)
        full = f"{message}{f' ({reason})' if reason else ''}"
        return DomainStatus(name, state, records, full, certificate=certificate)

    def preview_zone(self, host: str) -> str:
        """The account's zone holding ``host``; InputError (exit 2) when there is none in reach.
        Read only: the deploy asks it before its first write."""
        try:
            zone = self._dns.zone_for(host)
        except DnsRefused as exc:
            raise InputError(
                f"the token may not read the zone of {host}: give it 'Zone: Read' and '{DNS_EDIT}'",
                input_name="preview-domain",
                details=str(exc),
            ) from exc
        except CloudflareApiError as exc:
            raise exc.during(f"look up the zone of the preview domain {host}") from exc
        if zone is None:
            raise InputError(
                f"no zone of this Cloudflare account holds {host}: 'preview-domain' must be under a zone "
                "of the account, and the token needs 'Zone: Read' and 'DNS: Edit'",
                input_name="preview-domain",
            )
        return zone

    def point_preview(self, host: str, alias_host: str) -> None:
        """Attach ``host`` and CNAME it to a branch alias (its zone was checked beforehand)."""
        try:
            self.attach(host)
        except CloudflareApiError as exc:
            if not exc.refused:
                raise
            raise InputError(
                f"the token may not add {host} to the project: give it the permission "
                "'Cloudflare Pages: Edit'",
                input_name="preview-domain",
                details=exc.message,
            ) from exc
        try:
            self._dns.point_cname(self.preview_zone(host), host, alias_host)
        except DnsRefused as exc:
            raise InputError(
                f"the token may not edit DNS for {host}: give it the permission '{DNS_EDIT}'",
                input_name="preview-domain",
                details=str(exc),
            ) from exc
        # Ask Cloudflare to validate now that the CNAME exists; activation may still take a while.
        if domain_state(self._api.call("PATCH", f"{self._path}/{host}")) != "active":
            log.info("The preview domain %s is attached; Cloudflare is still validating it", host)

    def unpoint_preview(self, host: str) -> None:
        """Undo :meth:`point_preview`; what is already gone is fine, refusals only warn."""
        try:
            self.detach(host)
            zone = self._dns.zone_for(host)
            if zone is not None:
                self._dns.remove_cname(zone, host, self._target)
        except (DnsRefused, CloudflareApiError) as exc:
            log.warning("Could not remove the preview domain %s: %s", host, exc)
