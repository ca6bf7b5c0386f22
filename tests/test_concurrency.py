"""bounded_map keeps order, raises the first error, and never queues more than it must."""

from __future__ import annotations

import threading

import pytest

from ci_deploy.concurrency import Prefetch, bounded_map


def test_results_come_back_in_order() -> None:
    assert bounded_map(lambda n: n * n, range(100), workers=4) == [n * n for n in range(100)]


def test_no_more_than_two_items_per_worker_are_taken_ahead_of_the_results() -> None:
    taken = 0
    lock = threading.Lock()

    def items():  # type: ignore[no-untyped-def]
        nonlocal taken
        for n in range(50):
            with lock:
                taken += 1
            yield n

    seen: list[int] = []

    def work(n: int) -> int:
        with lock:
            seen.append(taken - n)
        return n

    bounded_map(work, items(), workers=3)
    assert max(seen) <= 2 * 3 + 1  # the window, plus the item being submitted


def test_an_error_in_one_item_is_raised() -> None:
    def work(n: int) -> int:
        if n == 7:
            raise ValueError("seven")
        return n

    with pytest.raises(ValueError, match="seven"):
        bounded_map(work, range(20), workers=2)


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
