"""The one renderer of the PR comment and the job summary."""

from __future__ import annotations

from ci_deploy import redaction
from ci_deploy.platforms.base import DnsRecord, DomainStatus
from ci_deploy.report.render import (
    HealthFacts,
    HealthRow,
    PlanFacts,
    ReportFacts,
    escape,
    health_line,
    link,
    render_comment,
    render_summary,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def ready(**changes: object) -> ReportFacts:
    base = ReportFacts(
        platform="cloudflare-pages",
        project="site",
        environment="preview",
        state="ready",
        url="http://pr-3.site.pages.localhost:8080/",
        deployment_url="http://abc123.site.pages.localhost:8080/",
        alias_url="http://feature-x.site.pages.localhost:8080/",
        inspect_url="https://dash.example/site/abc123",
        deployment_id="abc123",
        commit_sha=SHA,
        branch="feature-x",
        pr_number=3,
        health=HealthFacts(
            "passed",
            (
                HealthRow("/", 200, 12.0, 30.4, 512, True),
                HealthRow("/about", 200, 40.0, 120.6, 2048, True),
            ),
        ),
        run_url="https://github.example/octo/app/actions/runs/1",
    )
    return ReportFacts(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_ready_comment_shows_url_alias_commit_environment_inspect_and_health() -> None:
    text = render_comment(ready())
    assert text.startswith("### ✅ Preview ready (cloudflare-pages · site)")
    assert "[http://pr-3.site.pages.localhost:8080/](http://pr-3.site.pages.localhost:8080/)" in text
    assert "| **Alias** | [http://feature-x.site.pages.localhost:8080/]" in text
    assert "| **Commit** | `0123456` |" in text
    assert "| **Environment** | preview |" in text
    assert "[platform dashboard](https://dash.example/site/abc123)" in text
    assert "✅ passed · 2/2 paths ok · slowest `/about` 121 ms" in text


def test_the_health_table_marks_the_slowest_path_and_folds_in_the_comment_only() -> None:
    comment, summary = render_comment(ready()), render_summary(ready())
    assert "| `/about` | 200 | 40 | 121 | 2048 | ✅ **slowest** |" in comment
    assert "| `/` | 200 | 12 | 30 | 512 | ✅ |" in comment
    assert "<details><summary>Health checks</summary>" in comment
    assert "<details>" not in summary and "**slowest**" in summary


def test_a_failure_says_why_what_to_do_and_links_the_run() -> None:
    facts = ready(
        state="failed",
        error="health check of / answered 500",
        hint="open the deployment URL and check the server logs",
        health=HealthFacts("failed", (HealthRow("/", 500, 5.0, 9.0, 10, False),)),
    )
    text = render_summary(facts)
    assert "### ❌ Preview deploy failed" in text
    assert "> **Error:** health check of / answered 500" in text
    assert "> **What to do:** open the deployment URL and check the server logs" in text
    assert "[the workflow run log](https://github.example/octo/app/actions/runs/1)" in text
    assert "❌ failed · 0/1 paths ok" in text


def test_the_summary_adds_pending_domain_records_and_env_names_the_comment_does_not() -> None:
    facts = ready(
        environment="production",
        domains=(
            DomainStatus("www.example.com", "pending", (DnsRecord("CNAME", "www", "site.pages.dev"),)),
            DomainStatus("example.com", "active"),
        ),
        env_names=("API_URL", "SECRET_KEY"),
    )
    summary, comment = render_summary(facts), render_comment(facts)
    assert "| `www.example.com` | pending | `CNAME` `www` → `site.pages.dev` |" in summary
    assert "| `example.com` | active | — |" in summary
    assert "`API_URL`, `SECRET_KEY`" in summary
    assert "API_URL" not in comment and "www.example.com" not in comment


def test_user_strings_cannot_break_the_table_or_inject_markup() -> None:
    text = render_comment(ready(branch="evil|<script>alert(1)</script>\nnext", error="a | b\nc"))
    assert "<script>" not in text
    assert "| **Branch** | `evil\\|&lt;script&gt;alert(1)&lt;/script&gt; next` |" in text
    assert "> **Error:** a \\| b c" in text
    assert escape("`code`") == "'code'"


def test_only_http_urls_become_links() -> None:
    assert link("x", "javascript:alert(1)") == "javascript:alert(1)"
    assert link("run", "https://h/a b(c)") == "[run](https://h/a%20b%28c%29)"


def test_registered_secrets_never_reach_the_text() -> None:
    redaction.register("s3cr3t-token-value")
    text = render_summary(ready(state="failed", error="401 for token s3cr3t-token-value"))
    assert "s3cr3t-token-value" not in text and "***" in text


def test_deploying_removed_and_rolled_back_states_have_their_titles() -> None:
    assert render_comment(ready(state="deploying", health=None)).startswith("### ⏳ Preview deploying…")
    removed = render_comment(ready(state="removed", url="", alias_url="", deployment_url="", health=None))
    assert removed.startswith("### 🧹 Preview removed") and "**URL**" not in removed
    rolled = render_summary(ready(state="rolled-back", environment="production", rolled_back_to="old-1"))
    assert rolled.startswith("### ↩️ Production rolled back") and "| **Rolled back to** | `old-1` |" in rolled


def test_a_dry_run_summary_shows_the_plan() -> None:
    facts = ready(state="planned", plan=PlanFacts(10, 4096, None, None, ("example.com",)), health=None)
    text = render_summary(facts)
    assert "### 📝 Dry run: nothing was changed" in text
    assert "- Files: 10 (4096 bytes); new: unknown" in text
    assert "- Domains: `example.com`" in text


def test_health_line_for_skipped_and_missing_health() -> None:
    assert health_line(None) == "skipped"
    assert health_line(HealthFacts("skipped")) == "skipped"
    assert health_line(HealthFacts("passed", (), "budget met")) == "✅ passed · budget met"
