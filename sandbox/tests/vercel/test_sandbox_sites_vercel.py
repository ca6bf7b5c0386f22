"""Vercel serving rules: static folders, and prebuilt Build Output API v3 trees (routes,
overrides, functions stored but not run) — without sockets."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from memory_world import MemoryBlobs

from ci_deploy_sandbox.app import Request, Response, Site
from ci_deploy_sandbox.sites import Files
from ci_deploy_sandbox.sites_vercel import serve_vercel

_counter = iter(range(10**6))


def make_site(files: dict[str, str], config: dict[str, Any] | None = None) -> Files:
    blobs = MemoryBlobs()
    keys = {}
    for path, text in files.items():
        key = hashlib.sha1(f"{path}:{text}".encode()).hexdigest()
        blobs.put("v", key, text.encode())
        keys[path] = key
    return Files(Site(f"dpl_{next(_counter)}", "v", keys, "vercel", config=config or {}), blobs)


def get(files: Files, target: str) -> Response:
    return serve_vercel(Request.build("GET", target, {"Host": "app.vercel.localhost"}), files)


def test_static_serves_exact_paths_and_folder_indexes() -> None:
    files = make_site({"/index.html": "home", "/about.html": "about", "/blog/index.html": "blog"})
    assert get(files, "/").body == b"home"
    assert get(files, "/about.html").body == b"about"
    assert get(files, "/blog").body == b"blog"
    assert get(files, "/blog/").body == b"blog"


def test_static_without_clean_urls_does_not_serve_html_without_extension() -> None:
    files = make_site({"/index.html": "home", "/about.html": "about"})
    response = get(files, "/about")
    assert (response.status, response.header("x-vercel-error")) == (404, "NOT_FOUND")


def test_static_miss_serves_404_html_with_404() -> None:
    files = make_site({"/index.html": "home", "/404.html": "gone"})
    assert (get(files, "/nope").status, get(files, "/nope").body) == (404, b"gone")


PREBUILT = {
    "/.vercel/output/config.json": "{}",
    "/.vercel/output/static/index.html": "home",
    "/.vercel/output/static/about.html": "about",
    "/.vercel/output/static/404.html": "gone",
    "/.vercel/output/functions/api/hello.func/index.js": "module.exports = () => {}",
    "/.vercel/output/functions/api/hello.func/.vc-config.json": "{}",
}


def test_prebuilt_serves_the_static_folder_at_the_root() -> None:
    files = make_site(PREBUILT)
    assert get(files, "/").body == b"home"
    assert get(files, "/about.html").body == b"about"
    assert get(files, "/.vercel/output/config.json").status == 404


def test_prebuilt_functions_are_stored_not_run() -> None:
    response = get(make_site(PREBUILT), "/api/hello")
    assert response.status == 501
    assert b"not run" in response.body


def test_prebuilt_overrides_serve_a_file_at_another_path_with_its_type() -> None:
    config = {"version": 3, "overrides": {"about.html": {"path": "about", "contentType": "text/x-about"}}}
    response = get(make_site(PREBUILT, config), "/about")
    assert (response.status, response.body, response.header("content-type")) == (
        200,
        b"about",
        "text/x-about",
    )


def test_prebuilt_config_is_read_from_the_uploaded_config_json_when_not_given() -> None:
    config = {"version": 3, "overrides": {"about.html": {"path": "about"}}}
    files = make_site({**PREBUILT, "/.vercel/output/config.json": json.dumps(config)})
    assert get(files, "/about").body == b"about"


def test_prebuilt_routes_rewrite_redirect_add_headers_and_fall_back_after_filesystem() -> None:
    config = {
        "version": 3,
        "routes": [
            {"src": "^/old$", "status": 308, "headers": {"Location": "/about.html"}},
            {"src": "/(.*)", "headers": {"x-all": "yes"}, "continue": True},
            {"handle": "filesystem"},
            {"src": "^/docs/(?<page>[^/]+)$", "dest": "/$page.html"},
            {"src": "/(.*)", "dest": "/index.html"},
        ],
    }
    files = make_site(PREBUILT, config)
    old = get(files, "/old")
    assert (old.status, old.header("location")) == (308, "/about.html")
    about = get(files, "/about.html")
    assert (about.body, about.header("x-all")) == (b"about", "yes")
    assert get(files, "/docs/about").body == b"about"
    assert get(files, "/anything/else").body == b"home"


def test_prebuilt_error_phase_route_serves_the_404_page() -> None:
    config = {
        "version": 3,
        "routes": [
            {"handle": "filesystem"},
            {"handle": "error"},
            {"src": "/.*", "dest": "/404.html", "status": 404},
        ],
    }
    response = get(make_site({**PREBUILT, "/.vercel/output/static/404.html": "custom"}, config), "/nope")
    assert (response.status, response.body) == (404, b"custom")


def test_prebuilt_miss_without_routes_uses_404_html() -> None:
    response = get(make_site(PREBUILT), "/nope")
    assert (response.status, response.body) == (404, b"gone")


def test_static_with_clean_urls_serves_html_without_extension_and_redirects_the_extension_away() -> None:
    files = make_site({"/index.html": "home", "/about.html": "about", "/vercel.json": '{"cleanUrls": true}'})
    assert get(files, "/about").body == b"about"
    assert (get(files, "/about.html").status, get(files, "/about.html").header("location")) == (308, "/about")
    assert get(files, "/index.html").header("location") == "/"
    assert get(files, "/vercel.json").status == 404
