"""GitHub issue comments (the sticky PR comment's API): list, create, get, update, delete.

Only the comment's author may change or delete it, as on GitHub; answers carry the full user
object and ``html_url`` (:func:`ci_deploy_sandbox.github_common.public_comment`).
"""

from __future__ import annotations

from collections.abc import Callable

from ci_deploy_sandbox import app
from ci_deploy_sandbox.github_common import (
    Context,
    GitHubErrorReply,
    JsonDict,
    Store,
    comment_body,
    not_found,
    now,
    paginate,
    public_comment,
)


def _comment(ctx: Context) -> JsonDict:
    """The stored comment the request addresses."""
    comments: list[JsonDict] = ctx.repo["comments"]
    for comment in comments:
        if str(comment["id"]) == ctx.request.params["id"]:
            return comment
    raise not_found()


def list_comments(ctx: Context) -> app.Response:
    number = int(ctx.request.params["number"])
    items = [c for c in ctx.repo["comments"] if c["_issue"] == number]
    return paginate(
        ctx.request, [public_comment(c, ctx.request.origin) for c in sorted(items, key=lambda c: c["id"])]
    )


def create_comment(ctx: Context) -> app.Response:
    body = comment_body(ctx)
    comment = add_comment(ctx.store, ctx.repo, int(ctx.request.params["number"]), body, ctx.principal.user())
    return app.Response.json(public_comment(comment, ctx.request.origin), 201)


def get_comment(ctx: Context) -> app.Response:
    return app.Response.json(public_comment(_comment(ctx), ctx.request.origin))


def update_comment(ctx: Context) -> app.Response:
    comment = _own_comment(ctx)
    comment.update(body=comment_body(ctx), updated_at=now())
    return app.Response.json(public_comment(comment, ctx.request.origin))


def delete_comment(ctx: Context) -> app.Response:
    comment = _own_comment(ctx)
    ctx.repo["comments"].remove(comment)
    return app.Response(204)


def _own_comment(ctx: Context) -> JsonDict:
    """The stored comment addressed by the request, when its author is the caller."""
    stored = _comment(ctx)
    if stored["user"]["login"] != ctx.principal.login:
        raise GitHubErrorReply(403, ctx.principal.denial)
    return stored


def add_comment(store: Store, repo: JsonDict, number: int, body: str, user: JsonDict) -> JsonDict:
    comment_id = store.new_id()
    stamp = now()
    comment = {
        "id": comment_id,
        "node_id": f"IC_{comment_id}",
        "body": body,
        "user": user,
        "created_at": stamp,
        "updated_at": stamp,
        "author_association": "CONTRIBUTOR" if user["type"] == "User" else "NONE",
        "_issue": number,
        "_repo": repo["full_name"],
    }
    repo["comments"].append(comment)
    return comment


Handler = Callable[[Context], app.Response]
#: (method, pattern under /repos/{owner}/{repo}, endpoint, handler, permission level)
ROUTES: list[tuple[str, str, str, Handler, str]] = [
    ("GET", "/issues/{number}/comments", "github.comments.list", list_comments, "read"),
    ("POST", "/issues/{number}/comments", "github.comments.create", create_comment, "write"),
    ("GET", "/issues/comments/{id}", "github.comments.get", get_comment, "read"),
    ("PATCH", "/issues/comments/{id}", "github.comments.update", update_comment, "write"),
    ("DELETE", "/issues/comments/{id}", "github.comments.delete", delete_comment, "write"),
]
