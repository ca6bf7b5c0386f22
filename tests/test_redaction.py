"""The secret registry: what is registered, and what :func:`redact` makes of text that holds it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ci_deploy import redaction


@pytest.fixture(autouse=True)
def empty_registry() -> Iterator[None]:
    redaction.forget_all()
    yield
    redaction.forget_all()


def test_a_registered_secret_is_replaced_by_stars_wherever_it_appears() -> None:
    assert redaction.register("tok-12345")

    assert redaction.redact("a tok-12345 b tok-12345") == "a *** b ***"


def test_text_without_a_registered_secret_is_returned_unchanged() -> None:
    redaction.register("tok-12345")

    assert redaction.redact("nothing to hide here") == "nothing to hide here"


@pytest.mark.parametrize("value", [None, "", "a", "abc"])
def test_empty_and_shorter_than_four_character_values_are_not_registered(value: str | None) -> None:
    assert redaction.register(value) is False
    assert redaction.redact("a abc 1") == "a abc 1"


def test_a_four_character_value_is_long_enough_to_register() -> None:
    assert redaction.register("abcd") is True
    assert redaction.redact("xabcdx") == "x***x"


def test_registering_the_same_secret_again_reports_it_is_not_new() -> None:
    assert redaction.register("tok-12345") is True
    assert redaction.register("tok-12345") is False
    assert redaction.redact("tok-12345") == "***"


def test_a_multi_line_secret_is_replaced_as_a_whole() -> None:
    key = "-----BEGIN KEY-----\nline-one\nline-two\n-----END KEY-----"
    redaction.register(key)

    assert redaction.redact(f"key:\n{key}\ndone") == "key:\n***\ndone"


def test_a_secret_that_contains_another_is_replaced_whole_because_longer_ones_go_first() -> None:
    redaction.register("abcd")
    redaction.register("abcd-and-more")

    assert redaction.redact("[abcd-and-more] [abcd]") == "[***] [***]"


def test_forget_all_drops_every_registered_secret() -> None:
    redaction.register("tok-12345")

    redaction.forget_all()

    assert redaction.redact("tok-12345") == "tok-12345"
    assert redaction.register("tok-12345") is True  # new again
