"""The deployment form parser: what httpx and undici (wrangler) send."""

from __future__ import annotations

import httpx
import pytest

from ci_deploy_sandbox.cloudflare_multipart import MultipartError, header_params, parse_form


def test_it_reads_httpx_fields_and_files_with_binary_content_intact() -> None:
    binary = b"\r\n--not-the-boundary\r\n\x00\xff" * 3
    built = httpx.Request(
        "POST",
        "http://x/",
        data={"manifest": '{"/a": "b"}', "branch": "main"},
        files={"_headers": ("_headers", binary)},
    )
    form = parse_form(built.headers["content-type"], built.read())
    assert form["manifest"].text() == '{"/a": "b"}'
    assert form["branch"].text() == "main"
    assert (form["_headers"].filename, form["_headers"].data) == ("_headers", binary)


def test_it_reads_an_undici_style_body_with_a_quoted_boundary_and_escaped_names() -> None:
    body = (
        b"------formdata-undici-0123\r\n"
        b'Content-Disposition: form-data; name="commit_message"\r\n\r\n'
        b"fix: \xc3\xa9t\xc3\xa9\r\n"
        b"------formdata-undici-0123\r\n"
        b'Content-Disposition: form-data; name="we%22ird"; filename="a%0Ab"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        b"x\r\n"
        b"------formdata-undici-0123--\r\n"
    )
    form = parse_form('multipart/form-data; boundary="----formdata-undici-0123"', body)
    assert form["commit_message"].text() == "fix: été"
    assert form['we"ird'].filename == "a\nb"
    assert form['we"ird'].content_type == "application/octet-stream"


def test_it_refuses_a_body_without_its_closing_boundary_or_another_content_type() -> None:
    with pytest.raises(MultipartError):
        parse_form(
            "multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny'
        )
    with pytest.raises(MultipartError):
        parse_form("application/json", b"{}")


def test_header_params_unquote_values() -> None:
    assert header_params('form-data; name="a\\"b"; filename=c') == (
        "form-data",
        {"name": 'a"b', "filename": "c"},
    )
