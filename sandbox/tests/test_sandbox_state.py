"""The state folder: content-addressed blobs, coalesced snapshots, and a restart that keeps
every API's state and every blob."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from ci_deploy_sandbox.app import ApiEmulator
from ci_deploy_sandbox.runtime import Sandbox
from ci_deploy_sandbox.state import FileBlobStore, Snapshots


def test_blobs_are_stored_by_namespace_in_a_pack_that_a_new_store_reads_back(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    store.put("cloudflare/site", "abcdef", b"data")
    store.put("cloudflare/site", "abcdef", b"data")  # a stored key is never rewritten
    assert (tmp_path / "blobs" / "cloudflare" / "site" / "pack").read_bytes() == b"data"
    store.close()
    store = FileBlobStore(tmp_path)
    assert store.has("cloudflare/site", "abcdef")
    assert not store.has("cloudflare/other", "abcdef")
    assert store.read("cloudflare/site", "abcdef") == b"data"


def test_an_unindexed_torn_tail_is_ignored_after_a_crash(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    store.put("ns", "good", b"0123")
    store.close()
    folder = tmp_path / "blobs" / "ns"
    with (folder / "pack").open("ab") as pack:
        pack.write(b"half")
    with (folder / "index").open("a") as index:
        index.write("torn 4 99\n")
    store = FileBlobStore(tmp_path)
    assert store.read("ns", "good") == b"0123"
    assert not store.has("ns", "torn")


def test_a_missing_blob_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        FileBlobStore(tmp_path).read("ns", "nothing")


@pytest.mark.parametrize(
    ("namespace", "key"), [("..", "k"), ("ns", "../k"), ("/abs", "k"), ("ns", ""), ("a//b", "k")]
)
def test_blob_names_cannot_leave_the_store(tmp_path: Path, namespace: str, key: str) -> None:
    with pytest.raises(ValueError):
        FileBlobStore(tmp_path).put(namespace, key, b"x")


def test_many_saves_in_a_burst_become_few_writes(tmp_path: Path) -> None:
    collected = threading.Event()

    def collect() -> dict[str, Any]:
        collected.set()
        return {"api": {"n": 1}}

    snapshots = Snapshots(tmp_path, collect, delay=60)
    for _ in range(10_000):
        snapshots.save()
    assert snapshots.writes == 0 and not collected.is_set()
    snapshots.flush()
    assert snapshots.writes == 1
    assert json.loads((tmp_path / "state.json").read_text()) == {"api": {"n": 1}}
    assert snapshots.load() == {"api": {"n": 1}}


def test_a_first_start_has_no_snapshot(tmp_path: Path) -> None:
    assert Snapshots(tmp_path, dict).load() == {}


def test_a_corrupt_snapshot_is_an_error_not_a_silent_empty_start(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("[1, 2")
    with pytest.raises(ValueError):
        Snapshots(tmp_path, dict).load()


def test_a_restart_keeps_api_state_and_blobs(tmp_path: Path, fake_apis: Sequence[type[ApiEmulator]]) -> None:
    with Sandbox(tmp_path, apis=fake_apis) as first, httpx.Client(base_url=first.origin) as client:
        client.post("/client/v4/items", json={"kept": True})
        published = client.post(
            "/client/v4/sites/kept.pages.localhost", json={"files": {"/index.html": "still"}}
        )
        key = published.json()["result"]["/index.html"]
    assert json.loads((tmp_path / "state.json").read_text())["cloudflare"] == {"items": [{"kept": True}]}
    with Sandbox(tmp_path, apis=fake_apis) as second, httpx.Client(base_url=second.origin) as client:
        assert client.get("/client/v4/items").json()["result"] == [{"kept": True}]
        assert second.world.blobs.read("fake", key) == b"still"


def test_a_temporary_state_folder_is_removed_at_stop(fake_apis: Sequence[type[ApiEmulator]]) -> None:
    sandbox = Sandbox(apis=fake_apis).start()
    folder = sandbox.state_dir
    assert folder.is_dir()
    sandbox.stop()
    assert not folder.exists()
