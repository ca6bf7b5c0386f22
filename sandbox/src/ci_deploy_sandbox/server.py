"""The sandbox's HTTP/1.1 server: one loopback port for every API, the control API and all sites.

Standard library only (``ThreadingHTTPServer``), keep-alive, ``Content-Length`` and chunked
request bodies, ``Expect: 100-continue``, HEAD. Bodies are read and written in whole blocks (a
20 MiB upload is one ``read``), and Nagle is off so keep-alive round trips do not stall. What
to answer is decided by :class:`~ci_deploy_sandbox.world.SandboxWorld`; this module only parses
and writes — or, when a fault says so, drops the connection without an answer.
"""

from __future__ import annotations

import logging
import socket
import struct
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ci_deploy_sandbox.app import Request, Response
from ci_deploy_sandbox.world import SandboxWorld

log = logging.getLogger("ci_deploy_sandbox.server")

SERVER_NAME = "ci-deploy-sandbox"
MAX_CHUNK_LINE = 1024


class BadRequest(Exception):
    """The request's framing is broken; answer 400 and close."""


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: connections the kernel holds until they are accepted. The platforms' front ends take
    #: hundreds at once; with 128 here, a client opening 256 (an upload fan-out) lost SYNs and
    #: waited a second for the retransmit, a cost no real API puts on it
    request_queue_size = 1024

    def __init__(self, world: SandboxWorld, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), SandboxHandler)
        self.world = world
        world.port = self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (the vercel CLI closing its event stream, a health
        check timing out) is normal traffic, not a traceback on stderr; anything else is logged."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return
        log.exception("sandbox: error while serving %s", client_address)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = SERVER_NAME
    server: SandboxHTTPServer

    def dispatch(self) -> None:
        try:
            body = self._read_body()
        except (BadRequest, ValueError) as exc:
            self.close_connection = True
            self._write(Response.text(f"400: {exc}\n", 400), head_only=False)
            return
        headers = {key: value for key, value in self.headers.items()}
        request = Request.build(self.command, self.path, headers, body, self.server.world.port)
        outcome = self.server.world.respond(request)
        if outcome.response is None:
            self._drop()
        else:
            self._write(outcome.response, head_only=self.command == "HEAD")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = dispatch

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise BadRequest("negative Content-Length")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise BadRequest("body shorter than its Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE)
            size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                break
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(MAX_CHUNK_LINE).strip():
                raise BadRequest("broken chunked body")
            chunks.append(chunk)
        while self.rfile.readline(MAX_CHUNK_LINE).strip():  # trailers, up to the blank line
            pass
        return b"".join(chunks)

    def _write(self, response: Response, head_only: bool) -> None:
        reason = (
            HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
        )
        lines = [f"HTTP/1.1 {response.status} {reason}", f"Server: {SERVER_NAME}"]
        lines.append(f"Date: {self.date_time_string()}")
        lines += [f"{name}: {value}" for name, value in response.headers if name.lower() != "content-length"]
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        try:
            if head_only or not response.body:
                self.wfile.write(head)
            elif len(response.body) < 65536:
                self.wfile.write(head + response.body)
            else:
                self.wfile.write(head)
                self.wfile.write(response.body)
        except OSError:
            self.close_connection = True  # the client went away; nothing to tell it

    def _drop(self) -> None:
        """Close the connection with a TCP reset and no answer, as a crashed proxy would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Requests go to the sandbox's own request log; the stdlib's stderr lines would be noise."""
        log.debug(format, *args)


def serve_in_thread(server: SandboxHTTPServer) -> threading.Thread:
    """Serve until ``server.shutdown()``; the thread is a daemon so a crashed test cannot hang."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="ci-deploy-sandbox", daemon=True
    )
    thread.start()
    return thread
