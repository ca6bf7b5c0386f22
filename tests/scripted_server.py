"""Small scripted HTTP servers on 127.0.0.1, for code that must meet a real socket.

``scripted_servers()`` yields ``start(script, tls=None)``; ``script(request, n)`` answers the n-th
request (0-based, a GET or a POST) with ``(status, headers, body)``. Every request is recorded in
``Server.seen``, a POST with its body;
a ``CONNECT`` (a client using the server as an HTTPS proxy) is recorded and refused with 403.
All servers started are shut down when the block ends.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Seen:
    """One request a server received."""

    requestline: str
    path: str
    headers: dict[str, str]
    client_port: int = 0
    body: bytes = b""

    @property
    def method(self) -> str:
        return self.requestline.split(" ", 1)[0]


Reply = tuple[int, dict[str, str], bytes]
Script = Callable[[Seen, int], Reply]


@dataclass
class Server:
    """A running scripted server; ``script(request, n)`` answers the n-th request (0-based)."""

    script: Script
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


Serve = Callable[..., Server]


def ok(body: bytes = b"hello", headers: dict[str, str] | None = None) -> Reply:
    return 200, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, body: bytes) -> None:
        state = self.server.state
        headers = {k.lower(): v for k, v in self.headers.items()}
        seen = Seen(self.requestline, self.path, headers, self.client_address[1], body)
        with self.server.lock:
            index = len(state.seen)
            state.seen.append(seen)
        status, reply_headers, reply = state.script(seen, index)
        self.send_response(status)
        for name, value in reply_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_CONNECT(self) -> None:
        self.server.state.seen.append(Seen(self.requestline, self.path, {}))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is about the client."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Server) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (timeouts, refused certificates) are part of the tests."""


@contextmanager
def scripted_servers() -> Iterator[Serve]:
    """Start scripted servers (HTTPS with ``tls``) for the block; all are shut down at its end."""
    running: list[_HTTPServer] = []

    def start(script: Script, tls: ssl.SSLContext | None = None) -> Server:
        state = Server(script)
        httpd = _HTTPServer(state)
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        state.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
        running.append(httpd)
        return state

    try:
        yield start
    finally:
        for httpd in running:
            httpd.shutdown()
            httpd.server_close()


def self_signed_tls(folder: Path, name: str = "") -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 (or for the host ``name`` only, if given) with a
    self-signed certificate (the 'corporate CA'), and the certificate's file for the client to trust."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = folder / "ca.pem", folder / "key.pem"
    alt_name = f"DNS:{name}" if name else "IP:127.0.0.1"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-addext", f"subjectAltName={alt_name}"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert
