"""The domains of an account (team or user): ``vercel domains add <apex>`` (``POST /v7/domains``),
``vercel domains inspect`` (``GET /v5/domains/{name}``, ``/v1/domains/{name}/project-domains``),
and the registrar's availability and price checks that ``vercel alias set`` and ``domains
add``/``inspect`` make.

Project domains (``/v10/projects/{p}/domains``, in ``vercel_domains``) are a separate list, as on
Vercel; inspect shows which projects use a domain. The sandbox is no registrar: it sells nothing
and reports every name as taken (``available: false``), so the CLI treats a custom domain as one
the user already owns and adds it. A domain is ``verified`` unless the setting
``vercel.domains_needing_verification`` names it or another account has it too.
"""

from __future__ import annotations

from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.vercel_common import Context, JsonDict, Scope, VercelErrorReply, body_object, new_id
from ci_deploy_sandbox.vercel_domains import apex_of

Handler = Callable[[app.Request, Scope], app.Response]

INTENDED_NAMESERVERS = ["ns1.vercel-dns.com", "ns2.vercel-dns.com"]


def _valid_name(raw: object) -> str:
    name = str(raw or "").lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or not all(labels) or any(" " in label or "/" in label for label in labels):
        raise VercelErrorReply(400, "invalid_name", f"The domain name {raw!r} is invalid")
    return name


class TeamDomains:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        return [
            ("POST", "/v7/domains", "vercel.team_domains.add", self.add),
            ("GET", "/v5/domains/{domain}", "vercel.team_domains.get", self.get),
            (
                "GET",
                "/v1/domains/{domain}/project-domains",
                "vercel.team_domains.projects",
                self.project_domains,
            ),
            (
                "GET",
                "/v1/registrar/domains/{domain}/availability",
                "vercel.registrar.availability",
                self.availability,
            ),
            ("GET", "/v1/registrar/domains/{domain}/price", "vercel.registrar.price", self.price),
        ]

    # --- records ----------------------------------------------------------------------------------

    def owned(self, owner_id: str, name: str) -> JsonDict | None:
        for record in self.ctx.store.domains.values():
            if record["_ownerId"] == owner_id and record["name"] == name:
                return record
        return None

    def _claimed_elsewhere(self, owner_id: str, name: str) -> bool:
        flagged = {str(d).lower() for d in self.ctx.setting("vercel.domains_needing_verification", []) or []}
        if name in flagged:
            return True
        return any(r["name"] == name and r["_ownerId"] != owner_id for r in self.ctx.store.domains.values())

    # --- handlers ---------------------------------------------------------------------------------

    def add(self, request: app.Request, scope: Scope) -> app.Response:
        """``{domain}``; a name the account already has is ``409 domain_already_exists``."""
        body = body_object(request)
        name = _valid_name(body.get("name"))
        if self.owned(scope.owner_id, name) is not None:
            raise VercelErrorReply(409, "domain_already_exists", f"The domain {name} already exists")
        user = scope.account.user
        record: JsonDict = {
            "id": new_id("", 24),
            "name": name,
            "serviceType": "external",
            "nameservers": [],
            "intendedNameservers": INTENDED_NAMESERVERS,
            "customNameservers": [],
            "creator": {"id": user["id"], "username": user["username"], "email": user["email"]},
            "teamId": scope.team["id"] if scope.team else None,
            "userId": user["id"],
            "boughtAt": None,
            "expiresAt": None,
            "transferredAt": None,
            "suffix": False,
            "createdAt": self.ctx.now_ms(),
            "verified": not self._claimed_elsewhere(scope.owner_id, name),
            "zone": body.get("zone", True) is not False,
            "cdnEnabled": True,
            "renew": False,
            "_ownerId": scope.owner_id,
        }
        self.ctx.store.domains[record["id"]] = record
        return app.Response.json({"domain": _view(record)})

    def get(self, request: app.Request, scope: Scope) -> app.Response:
        """The account's domain of that name, or of its apex (a subdomain belongs to its apex).
        404 when the account has neither; 403 when only another account has it."""
        name = request.params["domain"].lower().rstrip(".")
        for candidate in dict.fromkeys((name, apex_of(name))):
            record = self.owned(scope.owner_id, candidate)
            if record is not None:
                return app.Response.json({"domain": _view(record)})
        if any(r["name"] in (name, apex_of(name)) for r in self.ctx.store.domains.values()):
            raise VercelErrorReply(403, "forbidden", f"You don't have access to the domain {name}")
        raise VercelErrorReply(404, "not_found", f"Domain not found: {name}")

    def project_domains(self, request: app.Request, scope: Scope) -> app.Response:
        """The account's project domains under this domain (the domain itself and subdomains)."""
        name = request.params["domain"].lower().rstrip(".")
        rows = [
            {"name": d["name"], "apexName": d["apexName"], "projectId": project["id"]}
            for project in self.ctx.store.projects.values()
            if project["accountId"] == scope.owner_id
            for d in project["_domains"]
            if d["name"] == name or d["name"].endswith("." + name)
        ]
        pagination = {"count": len(rows), "next": None, "prev": None}
        return app.Response.json({"projectDomains": rows, "pagination": pagination})

    def availability(self, request: app.Request, scope: Scope) -> app.Response:
        """Every name is taken: the sandbox sells no domains (see the module docstring)."""
        _valid_name(request.params["domain"])
        return app.Response.json({"available": False})

    def price(self, request: app.Request, scope: Scope) -> app.Response:
        """No price for any name: the description's null prices mean "not for sale" (the CLI's
        ``domains inspect`` then shows no renewal price, ``domains buy`` says so)."""
        _valid_name(request.params["domain"])
        years = _years(request.query.get("years", ["1"])[0])
        prices = dict.fromkeys(("purchasePrice", "renewalPrice", "transferPrice"))
        return app.Response.json({"years": years, **prices})


def _years(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 10:
        raise VercelErrorReply(400, "bad_request", f"years must be a whole number from 1 to 10, not {raw!r}")
    return int(raw)


def _view(record: JsonDict) -> JsonDict:
    return {k: v for k, v in record.items() if not k.startswith("_")}
