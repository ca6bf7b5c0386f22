"""Site serving: the host table, and Cloudflare Pages' rules (clean URLs, _redirects, _headers,
404.html, SPA fallback) over a deployment's files — without sockets."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from memory_world import MemoryBlobs

from ci_deploy_sandbox.app import SERVED_BY_HEADER, BlobStore, Request, Response, Site
from ci_deploy_sandbox.sites import Sites, content_type, serve
from ci_deploy_sandbox.sites_pages import parse_headers, parse_redirects, serve_pages
from ci_deploy_sandbox.sites_vercel import serve_vercel

RULES = {"cloudflare": serve_pages, "vercel": serve_vercel}


def make_site(files: dict[str, str], headers: str = "", redirects: str = "") -> tuple[Site, MemoryBlobs]:
    blobs = MemoryBlobs()
    keys = {}
    for path, text in files.items():
        key = hashlib.sha256(f"{path}:{text}".encode()).hexdigest()[:32]
        blobs.put("ns", key, text.encode())
        keys[path] = key
    return Site("dep-1", "ns", keys, "cloudflare", headers_file=headers, redirects_file=redirects), blobs


def get(site: Site, blobs: BlobStore, target: str, **headers: str) -> Response:
    request = Request.build("GET", target, {"Host": "p.pages.localhost:1", **headers})
    return serve(request, site, blobs, RULES)


SITE = {
    "/index.html": "home",
    "/about.html": "about",
    "/docs/index.html": "docs",
    "/docs/404.html": "docs missing",
    "/404.html": "missing",
    "/style.css": "body{}",
    "/file with space.txt": "spaced",
}


def test_root_serves_index_html_and_names_the_deployment() -> None:
    site, blobs = make_site(SITE)
    response = get(site, blobs, "/")
    assert (response.status, response.body) == (200, b"home")
    assert response.header(SERVED_BY_HEADER) == "dep-1"
    assert response.header("content-type") == "text/html; charset=utf-8"


def test_clean_urls_serve_html_without_extension_and_redirect_the_extension_away() -> None:
    site, blobs = make_site(SITE)
    assert get(site, blobs, "/about").body == b"about"
    redirected = get(site, blobs, "/about.html?x=1")
    assert (redirected.status, redirected.header("location")) == (308, "/about?x=1")
    assert get(site, blobs, "/index.html").header("location") == "/"


def test_folder_without_slash_redirects_to_the_slash_and_serves_its_index() -> None:
    site, blobs = make_site(SITE)
    assert (get(site, blobs, "/docs").status, get(site, blobs, "/docs").header("location")) == (308, "/docs/")
    assert get(site, blobs, "/docs/").body == b"docs"
    assert get(site, blobs, "/docs/index.html").header("location") == "/docs/"


@pytest.mark.parametrize(
    ("name", "location"),
    [
        ("/a b é.html", "/a%20b%20%C3%A9"),
        ("/100%.html", "/100%25"),
        ("/x\r\nSet-Cookie: y.html", "/x%0D%0ASet-Cookie%3A%20y"),
    ],
)
def test_a_clean_url_redirect_is_percent_encoded_whatever_the_file_is_named(name: str, location: str) -> None:
    site, blobs = make_site({name: "odd"})
    redirected = get(site, blobs, quote(name))
    assert (redirected.status, redirected.header("location")) == (308, location)
    assert get(site, blobs, location).body == b"odd"


def test_a_redirects_rule_destination_keeps_its_escapes_and_encodes_the_rest() -> None:
    site, blobs = make_site(SITE, redirects="/old/* /new/:splat 301\n")
    redirected = get(site, blobs, "/old/a%20b%2Fc")
    assert (redirected.status, redirected.header("location")) == (301, "/new/a%20b/c")


def test_percent_encoded_paths_find_files_with_spaces() -> None:
    site, blobs = make_site(SITE)
    assert get(site, blobs, "/file%20with%20space.txt").body == b"spaced"


def test_a_miss_serves_the_nearest_404_html_with_status_404() -> None:
    site, blobs = make_site(SITE)
    assert (get(site, blobs, "/docs/nope").status, get(site, blobs, "/docs/nope").body) == (
        404,
        b"docs missing",
    )
    assert (get(site, blobs, "/nope/deeper").status, get(site, blobs, "/nope/deeper").body) == (
        404,
        b"missing",
    )


def test_without_any_404_html_a_miss_falls_back_to_the_root_index_as_a_spa() -> None:
    site, blobs = make_site({"/index.html": "app", "/main.js": "js"})
    response = get(site, blobs, "/some/client/route")
    assert (response.status, response.body) == (200, b"app")


def test_without_index_or_404_a_miss_is_a_plain_404() -> None:
    site, blobs = make_site({"/main.js": "js"})
    assert get(site, blobs, "/nope").status == 404


def test_etag_round_trip_gives_304() -> None:
    site, blobs = make_site(SITE)
    etag = get(site, blobs, "/style.css").header("etag")
    assert etag
    assert get(site, blobs, "/style.css", **{"If-None-Match": etag}).status == 304


def test_redirects_static_splat_placeholder_and_status() -> None:
    rules = "# comment\n/old /about 301\n/blog/* /posts/:splat\n/u/:name /people/:name 307\n/bad /x 999\n"
    site, blobs = make_site(SITE, redirects=rules)
    assert (get(site, blobs, "/old").status, get(site, blobs, "/old").header("location")) == (301, "/about")
    blog = get(site, blobs, "/blog/2024/hello?ref=x")
    assert (blog.status, blog.header("location")) == (302, "/posts/2024/hello?ref=x")
    assert get(site, blobs, "/u/ada").header("location") == "/people/ada"
    assert get(site, blobs, "/bad").status == 404


def test_redirect_with_200_rewrites_to_the_destination_content() -> None:
    site, blobs = make_site(SITE, redirects="/team /about 200\n")
    response = get(site, blobs, "/team")
    assert (response.status, response.body) == (200, b"about")


def test_self_matching_spa_rewrite_is_ignored_as_pages_does() -> None:
    assert parse_redirects("/* /index.html 200\n") == ()
    site, blobs = make_site(SITE, redirects="/* /index.html 200\n")
    assert get(site, blobs, "/style.css").body == b"body{}"


def test_headers_rules_merge_substitute_and_detach() -> None:
    rules = (
        "/*\n  X-Frame-Options: DENY\n  X-Tag: a\n"
        "/docs/*\n  X-Tag: b\n  ! X-Frame-Options\n"
        "/:page\n  X-Page: :page\n"
        "https://p.pages.localhost/style.css\n  Cache-Control: max-age=60\n"
    )
    site, blobs = make_site(SITE, headers=rules)
    home = get(site, blobs, "/")
    assert home.header("x-frame-options") == "DENY"
    docs = get(site, blobs, "/docs/")
    assert docs.header("x-frame-options") is None
    assert docs.header("x-tag") == "a, b"
    assert get(site, blobs, "/about").header("x-page") == "about"
    assert get(site, blobs, "/style.css").header("cache-control") == "max-age=60"


def test_headers_are_not_applied_to_redirects() -> None:
    site, blobs = make_site(SITE, headers="/*\n  X-Tag: a\n")
    assert get(site, blobs, "/about.html").header("x-tag") is None


def test_parse_headers_ignores_header_lines_before_any_rule() -> None:
    rules = parse_headers("  X-Orphan: 1\n/a\n  X-A: 1\n")
    assert [(r.set, r.detach) for r in rules] == [((("X-A", "1"),), ())]


def test_sites_are_served_by_get_and_head_only() -> None:
    site, blobs = make_site(SITE)
    request = Request.build("POST", "/", {"Host": "p.pages.localhost"})
    response = serve(request, site, blobs, RULES)
    assert (response.status, response.header("allow")) == (405, "GET, HEAD")


def test_registry_is_case_insensitive_and_repoints_hosts() -> None:
    registry = Sites()
    first, _ = make_site({"/index.html": "1"})
    second = Site("dep-2", "ns", {}, "cloudflare")
    registry.publish("Main.P.pages.localhost", first)
    assert registry.lookup("main.p.pages.localhost") is first
    registry.publish("main.p.pages.localhost.", second)
    assert registry.hosts() == {"main.p.pages.localhost": "dep-2"}
    registry.unpublish("MAIN.p.pages.localhost")
    assert registry.lookup("main.p.pages.localhost") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a.html", "text/html; charset=utf-8"),
        ("/a.js", "text/javascript; charset=utf-8"),
        ("/a.json", "application/json; charset=utf-8"),
        ("/a.png", "image/png"),
        ("/a.woff2", "font/woff2"),
        ("/LICENSE", "application/octet-stream"),
    ],
)
def test_content_types_follow_the_extension(path: str, expected: str) -> None:
    assert content_type(path) == expected
