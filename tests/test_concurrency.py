"""Prefetch hands back the background result for its key and raises its error where needed."""

from __future__ import annotations

import pytest

from ci_deploy.concurrency import Prefetch


def test_prefetch_hands_back_the_background_result_for_its_key_and_works_anew_for_another() -> None:
    calls: list[str] = []
    prefetch: Prefetch[str] = Prefetch()
    first, second = object(), object()
    prefetch.start(first, lambda: calls.append("background") or "early")  # type: ignore[func-returns-value]
    assert prefetch.get(first, lambda: "late") == "early"
    assert prefetch.get(second, lambda: "late") == "late"
    prefetch.close()
    assert calls == ["background"]


def test_prefetch_raises_the_background_error_where_the_result_is_needed() -> None:
    prefetch: Prefetch[str] = Prefetch()
    key = object()

    def broken() -> str:
        raise OSError("unreadable file")

    prefetch.start(key, broken)
    with pytest.raises(OSError, match="unreadable"):
        prefetch.get(key, lambda: "never")
    prefetch.close()
