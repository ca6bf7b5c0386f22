"""Templates: {{pr}}, {{branch}}, {{sha}}, {{project}}; every occurrence; unresolvable is an error."""

from __future__ import annotations

import pytest

from ci_deploy.config.templates import check_template, placeholders, render_template
from ci_deploy.errors import InputError

SHA = "89abcdef0123456789abcdef0123456789abcdef"


def render(template: str, pr: int | None = 12, branch: str | None = "feat-x") -> str:
    return render_template(
        template, input_name="preview-domain", pr=pr, branch_slug=branch, sha=SHA, project="web"
    )


def test_every_placeholder_is_replaced_case_insensitively_and_every_time() -> None:
    assert (
        render("pr-{{pr}}-{{PR}}.{{ Branch }}.{{project}}.example.com") == "pr-12-12.feat-x.web.example.com"
    )


def test_sha_is_seven_characters_and_pr_number_is_an_alias() -> None:
    assert render("{{sha}}-{{pr_number}}") == "89abcde-12"


def test_text_without_placeholders_is_unchanged() -> None:
    assert render("static.example.com") == "static.example.com"


def test_placeholders_lists_names_in_order() -> None:
    assert placeholders("{{SHA}} {{ pr }}") == ["sha", "pr"]


@pytest.mark.parametrize(
    ("template", "kwargs", "message"),
    [
        ("pr-{{pr}}.example.com", {"pr": None}, "{{pr}} cannot be resolved"),
        ("{{branch}}.example.com", {"branch": None}, "{{branch}} cannot be resolved"),
        ("{{commit}}.example.com", {}, "unknown placeholder {{commit}}"),
        ("{{pr}.example.com", {}, "unbalanced"),
        ("pr-}}.example.com", {}, "unbalanced"),
    ],
)
def test_unresolvable_templates_name_the_input(
    template: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        render(template, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith("input 'preview-domain': ")
    assert message in str(caught.value)


def test_check_template_accepts_known_names() -> None:
    check_template("{{pr}}.{{branch}}.{{sha}}.{{project}}", input_name="preview-domain")
