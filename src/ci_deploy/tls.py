"""The TLS context every client of ours verifies with: one per CA setting (``SSL_CERT_FILE``,
else ``SSL_CERT_DIR``, else certifi's bundle, as httpx's ``trust_env`` does), its certificates
loaded at its first handshake. Standard library only: the head start's first reads use it
before the HTTP stack is imported."""

from __future__ import annotations

import functools
import os
import ssl
import threading
from typing import Any

from ci_deploy.errors import InputError


def tls_context() -> ssl.SSLContext:
    """One TLS context per CA setting (``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else certifi's
    bundle, as httpx's ``trust_env`` does), its certificates loaded at its first handshake."""
    return _tls_context_for(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))


@functools.cache
def _tls_context_for(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    if cert_file and not os.path.isfile(cert_file):
        raise TrustStoreError(f"SSL_CERT_FILE names '{cert_file}', which is not a file: {_FIX}")
    if not cert_file and cert_dir and not os.path.isdir(cert_dir):
        raise TrustStoreError(f"SSL_CERT_DIR names '{cert_dir}', which is not a folder: {_FIX}")
    return TrustOnFirstUse.trusting(cert_file, cert_dir)


_FIX = "point it at the CA certificates (PEM) this machine trusts, or unset it"


class TrustStoreError(InputError):
    """The CA certificates the environment names cannot be used: bad configuration, found
    before anything is sent (exit 2)."""


class TrustOnFirstUse(ssl.SSLContext):
    """A client TLS context that loads the CA certificates it trusts at its first handshake.

    Every client is built with a TLS context, and loading a CA bundle costs ~20 ms, on the path
    from start to the first request. A run whose API is plain HTTP (the sandbox) never needs
    it; a run on HTTPS loads it when it first connects, on whichever thread that is. It
    verifies exactly as ``ssl.create_default_context`` does (certificate and host name required).
    """

    _cert_file: str
    _cert_dir: str
    _lock: threading.Lock
    _trusted: bool

    @classmethod
    def trusting(cls, cert_file: str, cert_dir: str) -> TrustOnFirstUse:
        context = cls(ssl.PROTOCOL_TLS_CLIENT)
        context._cert_file, context._cert_dir = cert_file, cert_dir
        context._lock = threading.Lock()
        context._trusted = False
        return context

    def _trust(self) -> None:
        """Load the certificates once; a store that cannot be read is one clear error, not a
        connection error retried for minutes."""
        with self._lock:
            if self._trusted:
                return
            where, cafile, capath = self._source()
            try:
                self.load_verify_locations(cafile=cafile, capath=capath)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise TrustStoreError(
                    f"the CA certificates of {where} could not be loaded ({exc}): {_FIX}"
                ) from exc
            self._trusted = True

    def _source(self) -> tuple[str, str | None, str | None]:
        """What to load, named for an error: (name, cafile, capath)."""
        if self._cert_file:
            return f"SSL_CERT_FILE '{self._cert_file}'", self._cert_file, None
        if self._cert_dir:
            return f"SSL_CERT_DIR '{self._cert_dir}'", None, self._cert_dir
        import certifi  # only when needed, like the bundle itself

        return "certifi's bundle", certifi.where(), None

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._trust()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._trust()
        return super().wrap_bio(*args, **kwargs)
