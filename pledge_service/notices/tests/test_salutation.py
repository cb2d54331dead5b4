"""Emails greet a donor by a name that cannot act as a link (issue 20, finding 11)."""

from __future__ import annotations

import pytest

from notices.salutation import salutation


@pytest.mark.parametrize(
    "name",
    [
        "Claim your refund at evil.example/r",
        "http://evil.example",
        "visit www.evil.example",
        "support@evil.example",
        "evil.example",
        "a\\b",
    ],
)
def test_a_name_that_looks_like_an_address_is_not_repeated(name: str) -> None:
    assert salutation(name) == "donor"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("J. R. R. Tolkien", "J. R. R. Tolkien"),
        ("Zoë O'Brien-Núñez", "Zoë O'Brien-Núñez"),
        ("  Sam\r\nBcc: x ", "SamBcc: x"),
        ("", "donor"),
    ],
)
def test_an_ordinary_name_is_kept(name: str, shown: str) -> None:
    assert salutation(name) == shown


def test_a_long_name_is_cut() -> None:
    assert salutation("A" * 80) == "A" * 59 + "…"
