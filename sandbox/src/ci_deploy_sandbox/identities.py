"""The sandbox's fixed identities: tokens, account and team ids that every emulated API accepts.

They are constants, not random, so a user can paste them once and a restarted sandbox (same state
folder) still accepts them. Tokens match ``^\\w+$`` because the vercel CLI refuses any other token.
"""

from __future__ import annotations

#: Cloudflare API token (``Authorization: Bearer``), and the one account it can reach (32 hex).
CLOUDFLARE_TOKEN = "cfsandbox_token_0123456789abcdef"
CLOUDFLARE_ACCOUNT_ID = "5a9d6b0c1e2f3a4b5c6d7e8f9a0b1c2d"
CLOUDFLARE_ACCOUNT_NAME = "Sandbox Account"
CLOUDFLARE_EMAIL = "sandbox@example.com"

#: Vercel bearer token, its user, and the team every deployment is scoped to (``teamId``).
VERCEL_TOKEN = "vercelsandbox_token_0123456789"
VERCEL_USER_ID = "user_sandbox0123456789abcd"
VERCEL_USERNAME = "sandbox-user"
VERCEL_TEAM_ID = "team_sandbox0123456789abcd"
VERCEL_TEAM_SLUG = "sandbox-team"

#: GitHub: the workflow's installation token (cannot call ``GET /user``; comments by
#: ``github-actions[bot]``) and a personal access token (a user).
GITHUB_TOKEN = "ghs_sandboxWorkflowToken0123456789abcd"
GITHUB_PAT = "ghp_sandboxPersonalToken0123456789abcd"
GITHUB_BOT_LOGIN = "github-actions[bot]"
GITHUB_USER_LOGIN = "sandbox-user"
GITHUB_REPOSITORY = "sandbox-org/sandbox-app"

#: The host GitHub's artifact downloads redirect to (another host, as on github.com).
GITHUB_ARTIFACTS_HOST = "artifacts.github.localhost"
