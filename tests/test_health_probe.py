"""The pure parts of one health request: URL joining, site identity, and the verdict."""

from __future__ import annotations

import httpx
import pytest

from ci_deploy.health.probe import Answer, judge, resolve_url, same_site, status_ranges_text

DEFAULT = ((200, 399),)


def answer(
    status: int = 200, body: bytes = b"ok", served_by: str | None = None, encoding: str = "utf-8"
) -> Answer:
    return Answer("http://x/", status, body, encoding, len(body), 1.0, 2.0, served_by)


@pytest.mark.parametrize(
    ("base", "path", "url"),
    [
        ("https://app.pages.dev", "/", "https://app.pages.dev/"),
        ("https://app.pages.dev/", "/api/health", "https://app.pages.dev/api/health"),
        ("https://host/prefix/", "health?x=1", "https://host/prefix/health?x=1"),
        ("https://app.pages.dev", "https://other.example/ping", "https://other.example/ping"),
    ],
)
def test_resolve_url_joins_paths_and_keeps_absolute_urls(base: str, path: str, url: str) -> None:
    assert resolve_url(base, path) == url


def test_same_site_compares_scheme_host_and_port_with_default_ports_explicit() -> None:
    assert same_site(httpx.URL("https://a.example/x"), httpx.URL("https://A.example:443/y"))
    assert not same_site(httpx.URL("http://a.example/"), httpx.URL("https://a.example/"))
    assert not same_site(httpx.URL("https://a.example/"), httpx.URL("https://a.example:8443/"))
    assert not same_site(httpx.URL("https://a.example/"), httpx.URL("https://b.example/"))


def test_status_ranges_read_as_the_input_does() -> None:
    assert status_ranges_text(((200, 299), (418, 418))) == "200-299, 418"


def test_judge_passes_a_healthy_answer_without_served_by_information() -> None:
    assert judge(answer(), statuses=DEFAULT, text=None, served_by_values=()) == (None, None)


def test_judge_names_the_status_got_and_expected() -> None:
    reason, _ = judge(answer(503), statuses=((200, 204),), text=None, served_by_values=())
    assert reason == "answered 503 (expected 200-204)"


def test_judge_looks_for_the_text_in_the_decoded_body() -> None:
    body = "café abc123".encode("latin-1")
    assert (
        judge(answer(body=body, encoding="latin-1"), statuses=DEFAULT, text="café", served_by_values=())[0]
        is None
    )
    reason, _ = judge(answer(body=b"old"), statuses=DEFAULT, text="abc123", served_by_values=())
    assert reason == "answered 200 without the text 'abc123'"


def test_judge_reports_another_deployment_before_its_stale_status() -> None:
    stale = answer(404, served_by="dpl_old")
    assert judge(stale, statuses=DEFAULT, text=None, served_by_values=("dpl_new",)) == (
        "was served by another deployment (dpl_old)",
        False,
    )
    assert judge(answer(served_by="dpl_new"), statuses=DEFAULT, text=None, served_by_values=("dpl_new",)) == (
        None,
        True,
    )


def test_judge_cannot_tell_the_deployment_without_expected_values() -> None:
    assert judge(answer(served_by="dpl_x"), statuses=DEFAULT, text=None, served_by_values=()) == (None, None)
