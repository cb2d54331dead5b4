"""Internal-call signatures (SPEC §4): HMAC-SHA256 over "<t>.<body>", 300 s tolerance."""

from __future__ import annotations

import time

from careforall_common.signing import sign, verify

SECRET = "s3cret"
BODY = b'{"event_id": "1"}'


def test_a_fresh_signature_verifies() -> None:
    assert verify(sign(BODY, secret=SECRET), BODY, secret=SECRET)


def test_wrong_secret_changed_body_and_stale_or_malformed_headers_fail() -> None:
    header = sign(BODY, secret=SECRET)
    stale = sign(BODY, secret=SECRET, timestamp=int(time.time()) - 301)

    assert not verify(header, BODY, secret="other")
    assert not verify(header, BODY + b" ", secret=SECRET)
    assert not verify(stale, BODY, secret=SECRET)
    assert not verify(None, BODY, secret=SECRET)
    assert not verify("t=abc,v1=00", BODY, secret=SECRET)
    assert not verify("v1=00", BODY, secret=SECRET)
    assert not verify(header, BODY, secret="")


def test_the_format_is_t_and_v1() -> None:
    header = sign(BODY, secret=SECRET, timestamp=1700000000)

    assert header.startswith("t=1700000000,v1=")
    assert len(header.split("v1=")[1]) == 64


def test_a_non_ascii_signature_is_refused_not_a_crash() -> None:
    header = sign(BODY, secret=SECRET)

    assert not verify(header[:-1] + "é", BODY, secret=SECRET)
    assert not verify("t=1,v1=ünïcode", BODY, secret=SECRET)
