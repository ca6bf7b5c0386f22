"""The one URL rule: platform hosts as returned, http+port only for sandbox (``.localhost``) hosts."""

from __future__ import annotations

import pytest

from ci_deploy.urls import site_url, split_host


@pytest.mark.parametrize(
    ("host", "like", "url"),
    [
        ("web-abc123def-acme.vercel.app", "", "https://web-abc123def-acme.vercel.app"),
        ("example.com:8443", "", "https://example.com"),
        ("https://site.pages.dev/", "https://x.site.pages.dev", "https://site.pages.dev"),
        ("p-abc.vercel.localhost:8123", "", "http://p-abc.vercel.localhost:8123"),
        ("web.vercel.localhost", "p-abc.vercel.localhost:8123", "http://web.vercel.localhost:8123"),
        ("site.pages.localhost", "http://abc.site.pages.localhost:8788", "http://site.pages.localhost:8788"),
        (
            "pr-7.preview.localhost",
            "http://p-abc.vercel.localhost:8123",
            "http://pr-7.preview.localhost:8123",
        ),
        ("localhost", "", "http://localhost"),
    ],
)
def test_a_host_becomes_https_unless_it_is_a_sandbox_host_with_the_deployments_port(
    host: str, like: str, url: str
) -> None:
    assert site_url(host, like) == url


def test_split_host_takes_scheme_path_and_port_apart() -> None:
    assert split_host("http://a.localhost:81/x") == ("a.localhost", "81")
    assert split_host("a.example") == ("a.example", "")
