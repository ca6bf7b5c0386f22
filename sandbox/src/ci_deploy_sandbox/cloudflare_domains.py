"""Custom domains of a Pages project.

Adding a domain does not create DNS (as on Cloudflare): it stays ``pending`` until a CNAME
``<domain>`` -> the project's ``subdomain`` (or one of its hosts, e.g. a branch alias) exists in a
zone of the same account or in the sandbox DNS (the domain owner's DNS host, ``dns``), and
becomes ``active`` when that is observed — on a GET (one or the
list) or a PATCH, which is the API's "retry validation". Real activation takes minutes (DNS and
certificates); here it is as soon as the record is right. An active domain serves production, or
whatever project host its CNAME names.
"""

from __future__ import annotations

import re
import uuid

from ci_deploy_sandbox import app, dns
from ci_deploy_sandbox.cloudflare_auth import Grant, TokenRoute
from ci_deploy_sandbox.cloudflare_common import (
    DOMAIN_EXISTS,
    DOMAIN_NOT_FOUND,
    CloudflareErrorReply,
    JsonDict,
    bad_request,
    body_object,
    iso,
    paged,
    success,
)
from ci_deploy_sandbox.cloudflare_context import Context
from ci_deploy_sandbox.cloudflare_state import CustomDomain, Project

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
MAX_DOMAINS = 100


class Domains:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[TokenRoute]:
        base = "/accounts/{account}/pages/projects/{name}/domains"
        return [
            ("POST", base, "cloudflare.domains.create", self.create),
            ("GET", base, "cloudflare.domains.list", self.list),
            ("GET", base + "/{domain}", "cloudflare.domains.get", self.get),
            ("PATCH", base + "/{domain}", "cloudflare.domains.validate", self.get),
            ("DELETE", base + "/{domain}", "cloudflare.domains.delete", self.delete),
        ]

    def _project(self, request: app.Request, grant: Grant) -> Project:
        grant.require_account(request.params["account"])
        return self.ctx.project(request.params["account"], request.params["name"])

    def _domain(self, project: Project, name: str) -> CustomDomain:
        found = project.domains.get(name.lower().rstrip("."))
        if found is None:
            raise CloudflareErrorReply(
                404, DOMAIN_NOT_FOUND, f"The custom domain {name} is not part of this project."
            )
        return found

    def create(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        name = body_object(request).get("name")
        if not isinstance(name, str) or not _DOMAIN.match(name.lower().rstrip(".")):
            raise bad_request(f"{name!r} is not a valid domain name")
        name = name.lower().rstrip(".")
        if any(name in other.domains for other in self.ctx.state.projects.values()):
            raise CloudflareErrorReply(
                409, DOMAIN_EXISTS, f"The custom domain {name} is already in use by a project."
            )
        if len(project.domains) >= MAX_DOMAINS:
            raise bad_request(f"A project may have at most {MAX_DOMAINS} custom domains")
        domain = CustomDomain(id=str(uuid.uuid4()), name=name, created_at=self.ctx.now())
        project.domains[name] = domain
        return success(self.view(project, domain))

    def list(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        for domain in project.domains.values():
            self.observe(project, domain)
        return paged(request, [self.view(project, d) for d in project.domains.values()])

    def get(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        domain = self._domain(project, request.params["domain"])
        self.observe(project, domain)
        return success(self.view(project, domain))

    def delete(self, request: app.Request, grant: Grant) -> app.Response:
        project = self._project(request, grant)
        domain = self._domain(project, request.params["domain"])
        del project.domains[domain.name]
        self.ctx.refresh(project)
        return success(None)

    def observe(self, project: Project, domain: CustomDomain) -> None:
        """Activate a pending domain whose CNAME now points at the project: a record in a zone
        of the account (what ci-deploy creates), or at the owner's DNS host (the sandbox DNS)."""
        if domain.status == "active":
            return
        zone = self.ctx.zone_for(domain.name, project.account_id)
        in_zone = self.ctx.cname_target(domain.name) if zone is not None else None
        targets = [t for t in (in_zone, *dns.lookup(self.ctx.world, domain.name, "CNAME")) if t]
        sub = project.subdomain
        if any(target == sub or target.endswith("." + sub) for target in targets):
            domain.status, domain.zone_tag = "active", zone.id if zone is not None else domain.zone_tag
            self.ctx.refresh(project)

    def view(self, project: Project, domain: CustomDomain) -> JsonDict:
        active = domain.status == "active"
        validation: JsonDict = {"status": domain.status, "method": "http"}
        verification: JsonDict = {"status": domain.status}
        if not active:
            where = (
                "in its zone"
                if self.ctx.zone_for(domain.name, project.account_id)
                else "at its DNS host (the sandbox: POST /_sandbox/dns)"
            )
            message = f"CNAME record not set: add a CNAME {domain.name} -> {project.subdomain} {where}"
            validation["error_message"] = verification["error_message"] = message
        return {
            "id": domain.id,
            "domain_id": domain.id,
            "name": domain.name,
            "status": domain.status,
            "validation_data": validation,
            "verification_data": verification,
            "zone_tag": domain.zone_tag,
            "certificate_authority": "google",
            "created_on": iso(domain.created_at),
        }
