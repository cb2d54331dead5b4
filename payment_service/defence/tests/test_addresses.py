"""The client address the per-address limits count (SPEC §3): the gateway's, else the socket's."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from defence.addresses import client_address


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 2001:db8::1 ", "2001:db8::1"),
        ("198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a chain: the nearest hop's entry
        ("not-an-address", "127.0.0.9"),
        ("", "127.0.0.9"),
    ],
)
def test_the_gateway_s_address_counts_else_the_socket_s(forwarded: str, expected: str) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_without_the_header_the_socket_s_address_counts() -> None:
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="127.0.0.9")) == "127.0.0.9"
