"""httpcore's network backend on asyncio's own streams, for the upload fan-out's lanes.

httpcore reaches the network of an event loop through anyio, which wraps every read and write
in cancel scopes and task lookups. On Vercel's one-request-per-file uploads that was a third of
the client's CPU per file: measured here, 1,000 uploads of 20 KiB on 256 connections at 100 ms
took ~0.45 s of CPU through this backend against ~0.6 s through anyio, and the client's CPU is
what bounds a deploy of many files. This is httpcore's documented extension point
(``network_backend=``); HTTP itself stays httpcore's and h11's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

#: seconds before the next address of a host is tried alongside (RFC 8305; anyio's value), so
#: an unreachable IPv6 address does not hold a connection up until the connect timeout
HAPPY_EYEBALLS_DELAY = 0.25

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore sees it: reads and writes with httpcore's timeouts, and
    asyncio's errors raised as the httpcore errors the transport maps to httpx's."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(f"no answer within {timeout}s") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(f"could not send within {timeout}s") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        """Close, give the loop one turn to send it, then drop what is left (as anyio does): a
        TLS goodbye to a server that is gone must not hold the run up."""
        transport = self._writer.transport
        transport.close()
        await asyncio.sleep(0)
        transport.abort()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout}s") from exc
        except OSError as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # An idle keep-alive connection the server has closed (or broken) must not be reused.
            return self._reader.at_eof() or self._reader.exception() is not None
        asyncio_name = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        if asyncio_name in ("ssl_object", "sockname", "peername", "socket"):
            return self._writer.get_extra_info(asyncio_name)
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens :class:`AsyncioStream` connections (asyncio turns Nagle off on them itself)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                local = (local_address, 0) if local_address else None
                # An address has nothing to race against; the race costs tasks per connection.
                delay = None if _is_address(host) else HAPPY_EYEBALLS_DELAY
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=local, happy_eyeballs_delay=delay
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} within {timeout}s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
