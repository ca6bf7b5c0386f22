"""The ``cf`` fixture: a fresh emulated Cloudflare API behind a :class:`Client`."""

from __future__ import annotations

import pytest
from cloudflare_client import Client


@pytest.fixture
def cf() -> Client:
    return Client()
