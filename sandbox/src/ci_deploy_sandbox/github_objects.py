"""The full objects GitHub's REST API answers with — users, repositories, pull requests — built
from the few fields the store keeps.

The store records who and what (a login, a repository name, a head sha); these builders add the
hypermedia every GitHub object carries (``url``, ``html_url``, ``*_url`` templates), on the
sandbox's own host in the GitHub Enterprise layout (API under ``/api/v3``, web pages at the
root), so each answer has the documented required fields with plausible, consistent values.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

#: repository link templates: (field, path below the repository's API URL)
_REPO_LINKS = (
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
)


def stored_user(login: str, user_id: int, user_type: str) -> JsonDict:
    """What the store keeps of a user (comment authors, deployment creators)."""
    return {"login": login, "id": user_id, "node_id": f"U_{user_id}", "type": user_type, "site_admin": False}


def simple_user(user: JsonDict, origin: str) -> JsonDict:
    """GitHub's ``simple-user`` for a stored user, its links on the sandbox's host."""
    login = user["login"]
    api = f"{origin}/api/v3/users/{login}"
    return {
        **stored_user(login, int(user["id"]), str(user["type"])),
        "avatar_url": f"{origin}/avatars/u/{user['id']}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{origin}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
    }


def owner_of(full_name: str) -> JsonDict:
    """The stored user owning ``owner/name`` (an organization; a stable id from the name)."""
    login = full_name.split("/", 1)[0]
    return stored_user(login, 100000 + sum(map(ord, login)), "Organization")


def repository(stored: JsonDict, origin: str, *, fork: bool = False) -> JsonDict:
    """GitHub's ``repository`` object for a stored repository (``id``, ``full_name``,
    ``created_at``)."""
    full_name = str(stored["full_name"])
    api = f"{origin}/api/v3/repos/{full_name}"
    host = origin.split("://", 1)[-1]
    created = stored.get("created_at", "2024-01-01T00:00:00Z")
    links = {field: f"{api}{suffix}" for field, suffix in _REPO_LINKS}
    return {
        "id": stored["id"],
        "node_id": f"R_{stored['id']}",
        "name": full_name.split("/", 1)[-1],
        "full_name": full_name,
        "owner": simple_user(owner_of(full_name), origin),
        "private": False,
        "fork": fork,
        "description": None,
        "homepage": None,
        "language": None,
        "license": None,
        "mirror_url": None,
        "url": api,
        "html_url": f"{origin}/{full_name}",
        "clone_url": f"{origin}/{full_name}.git",
        "git_url": f"git://{host}/{full_name}.git",
        "ssh_url": f"git@{host}:{full_name}.git",
        "svn_url": f"{origin}/{full_name}",
        **links,
        "default_branch": "main",
        **dict.fromkeys(("archived", "disabled", "has_pages"), False),
        **dict.fromkeys(("has_issues", "has_projects", "has_wiki", "has_downloads"), True),
        **dict.fromkeys(("forks", "forks_count", "open_issues", "open_issues_count", "size"), 0),
        **dict.fromkeys(("stargazers_count", "watchers", "watchers_count"), 0),
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
    }


def _branch(side: JsonDict, stored_repo: JsonDict, origin: str, fork: bool) -> JsonDict:
    """``head`` or ``base`` of a pull request: the branch, its commit and its repository."""
    owner = owner_of(str(stored_repo["full_name"]))
    return {
        "label": f"{owner['login']}:{side['ref']}",
        "ref": side["ref"],
        "sha": side["sha"],
        "user": simple_user(owner, origin),
        "repo": repository(stored_repo, origin, fork=fork),
    }


def pull_request(pull: JsonDict, base_repo: JsonDict, head_repo: JsonDict, origin: str) -> JsonDict:
    """GitHub's ``pull-request`` object (``pulls/get``) for a stored pull request."""
    full_name = base_repo["full_name"]
    api = f"{origin}/api/v3/repos/{full_name}"
    number, html = pull["number"], f"{origin}/{full_name}/pull/{pull['number']}"
    urls = {
        "url": f"{api}/pulls/{number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{api}/issues/{number}",
        "commits_url": f"{api}/pulls/{number}/commits",
        "review_comments_url": f"{api}/pulls/{number}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{number}/comments",
        "statuses_url": f"{api}/statuses/{pull['head']['sha']}",
    }
    links = {
        "self": urls["url"], "html": html, "issue": urls["issue_url"], "comments": urls["comments_url"],
        "review_comments": urls["review_comments_url"], "review_comment": urls["review_comment_url"],
        "commits": urls["commits_url"], "statuses": urls["statuses_url"],
    }  # fmt: skip
    closed = pull["state"] == "closed"
    return {
        "id": pull["id"],
        "node_id": f"PR_{pull['id']}",
        "number": number,
        "state": pull["state"],
        "locked": False,
        "title": pull["title"],
        "body": None,
        "user": simple_user(pull["user"], origin),
        "labels": [],
        "milestone": None,
        "assignee": None,
        "created_at": pull["created_at"],
        "updated_at": pull["updated_at"],
        "closed_at": pull["updated_at"] if closed else None,
        "merged_at": None,
        "merge_commit_sha": None,
        "merged": pull["merged"],
        "merged_by": None,
        "mergeable": None if closed else True,
        "mergeable_state": "unknown" if closed else "clean",
        "maintainer_can_modify": False,
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        **dict.fromkeys(("comments", "review_comments", "additions", "deletions"), 0),
        **dict.fromkeys(("commits", "changed_files"), 1),
        **urls,
        "_links": {name: {"href": href} for name, href in links.items()},
        "head": _branch(pull["head"], head_repo, origin, head_repo["full_name"] != full_name),
        "base": _branch(pull["base"], base_repo, origin, False),
    }
