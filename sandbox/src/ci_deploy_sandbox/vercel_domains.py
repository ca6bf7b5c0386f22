"""Project domains with TXT verification, and ``/v6/domains/{domain}/config``.

The DNS is the sandbox's (``ci_deploy_sandbox.dns``: ``POST /_sandbox/dns``) plus the older
setting ``vercel.dns``: ``{"<name> <TYPE>": "value" | ["values"]}``, e.g.
``{"_vercel.example.com TXT": "vc-domain-verify=www.example.com,0123…",
"www.example.com CNAME": "cname.vercel-dns.com"}``. A domain needs verification when it is
listed in the setting ``vercel.domains_needing_verification`` (standing for "in use by another
account") or is already on another account's project; it is served only once verified.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ci_deploy_sandbox import app, dns
from ci_deploy_sandbox.vercel_common import Context, JsonDict, Scope, VercelErrorReply, body_object, public
from ci_deploy_sandbox.vercel_lifecycle import Lifecycle
from ci_deploy_sandbox.vercel_projects import Projects

Handler = Callable[[app.Request, Scope], app.Response]

DEFAULT_IPV4 = ["76.76.21.21"]
DEFAULT_CNAME = "cname.vercel-dns.com"


def apex_of(domain: str) -> str:
    """The registrable domain, taken as the last two labels (no public-suffix list here)."""
    return ".".join(domain.split(".")[-2:])


class Domains:
    def __init__(self, ctx: Context, lifecycle: Lifecycle, projects: Projects) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle
        self.projects = projects

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        one = "/v9/projects/{project}/domains/{domain}"
        return [
            ("POST", "/v10/projects/{project}/domains", "vercel.domains.add", self.add),
            ("GET", "/v9/projects/{project}/domains", "vercel.domains.list", self.list),
            ("GET", one, "vercel.domains.get", self.get),
            ("PATCH", one, "vercel.domains.edit", self.edit),
            ("DELETE", one, "vercel.domains.delete", self.delete),
            ("POST", one + "/verify", "vercel.domains.verify", self.verify),
            ("GET", "/v6/domains/{domain}/config", "vercel.domains.config", self.config),
        ]

    # --- DNS ------------------------------------------------------------------------------------

    def dns(self, name: str, kind: str) -> list[str]:
        """The values for ``name``/``kind`` in the sandbox DNS (``/_sandbox/dns``) and the older
        ``vercel.dns`` setting (lower-cased, no trailing dot)."""
        table: dict[str, Any] = self.ctx.setting("vercel.dns", {}) or {}
        found = table.get(f"{name} {kind}", table.get(f"{name}. {kind}", []))
        values = found if isinstance(found, list) else [found]
        legacy = [str(v).strip().rstrip(".").lower() for v in values]
        return legacy + [v.lower() for v in dns.lookup(self.ctx.world, name, kind)]

    # --- handlers -------------------------------------------------------------------------------

    def add(self, request: app.Request, scope: Scope) -> app.Response:
        project = self.projects.get_record(scope, request.params["project"])
        body = body_object(request)
        name = str(body.get("name", "")).lower().rstrip(".")
        if "." not in name or not all(name.split(".")):
            raise VercelErrorReply(400, "invalid_domain", f"Invalid domain name: {name!r}")
        if any(d["name"] == name for d in project["_domains"]):
            raise VercelErrorReply(
                409, "domain_already_in_use", f"{name} is already assigned to this project"
            )
        holder = self._holder_in_scope(scope, name)
        if holder is not None:  # Vercel: 409 until it is removed from that project
            raise VercelErrorReply(
                409,
                "domain_already_in_use",
                f"Cannot add {name} since it's already assigned to another project.",
                projectId=holder["id"],
                domain={"name": name},
            )
        now = self.ctx.now_ms()
        record = {
            "name": name,
            "apexName": apex_of(name),
            "projectId": project["id"],
            "redirect": body.get("redirect"),
            "redirectStatusCode": body.get("redirectStatusCode"),
            "gitBranch": body.get("gitBranch"),
            "customEnvironmentId": body.get("customEnvironmentId"),
            "createdAt": now,
            "updatedAt": now,
            "verified": not self._needs_verification(scope, name),
            "_token": secrets.token_hex(10),
        }
        project["_domains"].append(record)
        self._serve(project, record)
        return app.Response.json(_view(record))

    def list(self, request: app.Request, scope: Scope) -> app.Response:
        project = self.projects.get_record(scope, request.params["project"])
        domains = [_view(d) for d in project["_domains"]]
        pagination = {"count": len(domains), "next": None, "prev": None}
        return app.Response.json({"domains": domains, "pagination": pagination})

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        return app.Response.json(_view(self._find(scope, request)[1]))

    def edit(self, request: app.Request, scope: Scope) -> app.Response:
        project, record = self._find(scope, request)
        body = body_object(request)
        editable = ("gitBranch", "redirect", "redirectStatusCode")
        record.update({k: body[k] for k in editable if k in body}, updatedAt=self.ctx.now_ms())
        self.lifecycle.aliases.remove(record["name"])
        self._serve(project, record)
        return app.Response.json(_view(record))

    def delete(self, request: app.Request, scope: Scope) -> app.Response:
        project, record = self._find(scope, request)
        project["_domains"].remove(record)
        self.lifecycle.aliases.remove(record["name"])
        return app.Response.json({})

    def verify(self, request: app.Request, scope: Scope) -> app.Response:
        """Succeeds once the sandbox DNS has the TXT record that ``verification`` asked for."""
        project, record = self._find(scope, request)
        if not record["verified"]:
            wanted = _verification(record)[0]
            if wanted["value"].lower() not in self.dns(wanted["domain"], "TXT"):
                raise VercelErrorReply(
                    400,
                    "missing_txt_record",
                    f"Domain {record['name']} was not verified: the TXT record {wanted['domain']} "
                    f'does not have the value "{wanted["value"]}"',
                    verification=_verification(record),
                )
            record.update(verified=True, updatedAt=self.ctx.now_ms())
            self._serve(project, record)
        return app.Response.json(_view(record))

    def config(self, request: app.Request, scope: Scope) -> app.Response:
        """Misconfigured until the sandbox DNS points the domain at a recommended A or CNAME."""
        domain = request.params["domain"].lower().rstrip(".")
        ipv4 = [str(ip) for ip in self.ctx.setting("vercel.recommended_ipv4", DEFAULT_IPV4)]
        cname = str(self.ctx.setting("vercel.recommended_cname", DEFAULT_CNAME)).rstrip(".").lower()
        a_values, cnames = self.dns(domain, "A"), self.dns(domain, "CNAME")
        configured_by = "CNAME" if cname in cnames else ("A" if set(a_values) & set(ipv4) else None)
        return app.Response.json(
            {
                "configuredBy": configured_by,
                "acceptedChallenges": ["dns-01"] if domain == apex_of(domain) else ["http-01", "dns-01"],
                "recommendedIPv4": [{"rank": 1, "value": ipv4}],
                "recommendedCNAME": [{"rank": 1, "value": cname + "."}],
                "misconfigured": configured_by is None,
                "serviceType": "external",
                "nameservers": [],
                "cnames": cnames,
                "aValues": a_values,
                "conflicts": [],
            }
        )

    # --- helpers --------------------------------------------------------------------------------

    def _holder_in_scope(self, scope: Scope, name: str) -> JsonDict | None:
        """The other project of the same account or team that has ``name``, if any."""
        ours = (p for p in self.ctx.store.projects.values() if p["accountId"] == scope.owner_id)
        return next((p for p in ours if any(d["name"] == name for d in p["_domains"])), None)

    def _needs_verification(self, scope: Scope, name: str) -> bool:
        flagged = {str(d).lower() for d in self.ctx.setting("vercel.domains_needing_verification", []) or []}
        if name in flagged or apex_of(name) in flagged:
            return True
        others = (p for p in self.ctx.store.projects.values() if p["accountId"] != scope.owner_id)
        return any(d["name"] == name for p in others for d in p["_domains"])

    def _serve(self, project: JsonDict, record: JsonDict) -> None:
        """A verified production domain follows the project's current production deployment."""
        production = self.ctx.store.deployments.get(project.get("_production") or "")
        if record["verified"] and not record.get("gitBranch") and production is not None:
            self.lifecycle.aliases.assign(record["name"], production)

    def _find(self, scope: Scope, request: app.Request) -> tuple[JsonDict, JsonDict]:
        project = self.projects.get_record(scope, request.params["project"])
        name = request.params["domain"].lower().rstrip(".")
        for record in project["_domains"]:
            if record["name"] == name:
                return project, record
        raise VercelErrorReply(404, "not_found", f"The domain {name} is not assigned to this project")


def _verification(record: JsonDict) -> list[JsonDict]:
    return [
        {
            "type": "TXT",
            "domain": f"_vercel.{record['apexName']}",
            "value": f"vc-domain-verify={record['name']},{record['_token']}",
            "reason": "pending_domain_verification",
        }
    ]


def _view(record: JsonDict) -> JsonDict:
    view = public(record)
    if not record["verified"]:
        view["verification"] = _verification(record)
    return view
