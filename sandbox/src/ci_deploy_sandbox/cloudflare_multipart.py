"""A small, strict ``multipart/form-data`` parser for deployment creation (RFC 7578).

It takes what undici's ``FormData`` (wrangler) and httpx send: CRLF line breaks, a quoted or bare
boundary, ``name``/``filename`` parameters with ``"``, CR and LF percent-encoded as the HTML
standard says. The body is split on ``CRLF--boundary``, so part contents may be any bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')
_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n", "%0d": "\r", "%0a": "\n"}


class MultipartError(ValueError):
    """The body is not the multipart form its Content-Type announces."""


@dataclass(frozen=True)
class FormPart:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str = "text/plain"

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="x"`` -> ("form-data", {"name": "x"}), names lower-cased."""
    kind, _, rest = value.partition(";")
    params = {}
    for match in _PARAM.finditer(";" + rest):
        quoted, bare = match.group(2), match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
    return kind.strip().lower(), params


def _unescape(name: str) -> str:
    return re.sub(r"%(22|0[dDaA])", lambda m: _ESCAPES[m.group(0)], name)


def parse_form(content_type: str, body: bytes) -> dict[str, FormPart]:
    """The form's parts by name (the last one wins when a name repeats)."""
    kind, params = header_params(content_type)
    boundary = params.get("boundary")
    if kind != "multipart/form-data" or not boundary:
        raise MultipartError("expected Content-Type: multipart/form-data; boundary=...")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise MultipartError("the multipart body has no closing boundary")
    parts: dict[str, FormPart] = {}
    for chunk in chunks[1:-1]:
        part = _parse_part(chunk)
        parts[part.name] = part
    return parts


def _parse_part(chunk: bytes) -> FormPart:
    # After the boundary: optional transport padding, CRLF, headers, CRLF CRLF, content.
    _, newline, rest = chunk.partition(b"\r\n")
    head, separator, data = rest.partition(b"\r\n\r\n")
    if not newline or not separator:
        raise MultipartError("a multipart part has no header block")
    headers = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    disposition, params = header_params(headers.get("content-disposition", ""))
    if disposition != "form-data" or "name" not in params:
        raise MultipartError("a multipart part has no Content-Disposition: form-data; name=...")
    filename = params.get("filename")
    return FormPart(
        name=_unescape(params["name"]),
        data=data,
        filename=_unescape(filename) if filename is not None else None,
        content_type=headers.get("content-type", "text/plain"),
    )
