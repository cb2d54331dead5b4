"""Issue 20, finding 8: each service signs its internal calls with its own Ed25519 key (v2), over
the method, path, sender, timestamp and body; the shared secret (v1) only while it is accepted."""

from __future__ import annotations

import json
import os
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.request import Request

from careforall_common import checks, signing
from careforall_common.inbox.apis import EventIngestApi
from careforall_common.internal import (
    PLATFORM_SERVICES,
    IsSignedInternalCall,
    internal_get,
    internal_post,
    internal_sender,
    signature_header,
)
from careforall_common.keys import ensure_internal_key, main
from careforall_common.testing.peers import fake_peer

BODY = b'{"campaign_id": 7}'
HOLD = "/internal/campaigns/7/hold"


@pytest.fixture(autouse=True)
def _keys_read_afresh() -> Any:
    signing.forget_keys()
    yield
    signing.forget_keys()


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    """Each platform service's pair: private keys apart, the public keys in one directory."""
    for service in PLATFORM_SERVICES:
        ensure_internal_key(service, tmp_path / "private" / service, tmp_path / "public")
    return tmp_path


def key_of(keys: Path, service: str) -> signing.SigningKey:
    private = signing.load_private_key(keys / "private" / service / f"internal-{service}.pem")
    assert private is not None
    return signing.SigningKey.of(service, private)


def public_keys(keys: Path) -> signing.VerifyKeys:
    return signing.read_public_keys(keys / "public")


@pytest.fixture
def as_service(settings: Any, keys: Path) -> Callable[..., None]:
    """Make this process ``service`` (its key, every public key; v1 refused unless asked)."""

    def configure(service: str, *, v1: str = "refuse") -> None:
        settings.SERVICE_NAME = service
        settings.CAREFORALL = {
            **settings.CAREFORALL,
            "INTERNAL_SIGNING_KEY_FILE": str(
                keys / "private" / service / f"internal-{service}.pem"
            ),
            "INTERNAL_VERIFY_KEYS_DIR": str(keys / "public"),
            "INTERNAL_SIGNATURE_V1": v1,
        }

    configure("pledge")
    return configure


class AnyPlatformService:
    """A view that names no senders: any platform service."""


class CampaignOnly:
    allowed_senders = ("campaign",)


def admitted(
    method: str, path: str, body: bytes, header: str | None, view: Any = None
) -> tuple[bool, str | None]:
    """What ``IsSignedInternalCall`` says of this call, and the sender it found."""
    headers = {signing.HEADER: header} if header else {}
    factory = RequestFactory()
    if method == "GET":
        django_request = factory.get(path, headers=headers)
    else:
        django_request = factory.generic(
            method, path, data=body, content_type="application/json", headers=headers
        )
    request = Request(django_request)
    allowed = IsSignedInternalCall().has_permission(request, view or AnyPlatformService())
    return allowed, internal_sender(request)


# --- the signature itself --------------------------------------------------------------------


def test_a_v2_signature_round_trip(keys: Path) -> None:
    header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "campaign"))

    assert signing.verify_v2(header, "POST", HOLD, BODY, keys=public_keys(keys)) == "campaign"


def test_the_v2_header_format(keys: Path) -> None:
    key = key_of(keys, "campaign")
    header = signing.sign_v2("GET", "/internal/pledges?after=0", b"", key=key, timestamp=1700000000)

    t, s, k, v2 = header.split(",")
    assert (t, s, k) == ("t=1700000000", "s=campaign", f"k={key.key_id}")
    assert len(key.key_id) == 8
    assert int(key.key_id, 16) >= 0
    assert v2.startswith("v2=")
    assert "=" not in v2[3:]  # base64url, no padding
    assert signing.message(1700000000, "get", "/p?q=1", "campaign", b"") == (
        b"v2\n1700000000\nGET\n/p?q=1\ncampaign\n"
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", HOLD, BODY),  # another method
        ("POST", "/internal/campaigns/7/release", BODY),  # another path
        ("POST", HOLD + "?force=1", BODY),  # another query
        ("POST", HOLD, b'{"campaign_id": 8}'),  # another body
    ],
    ids=["method", "path", "query", "body"],
)
def test_a_signature_covers_the_method_path_and_body(
    keys: Path, method: str, path: str, body: bytes
) -> None:
    header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "campaign"))

    assert signing.verify_v2(header, method, path, body, keys=public_keys(keys)) is None


def test_a_stale_or_future_signature_is_refused(keys: Path) -> None:
    key = key_of(keys, "campaign")
    for shift in (-301, 301):
        header = signing.sign_v2("POST", HOLD, BODY, key=key, timestamp=int(time.time()) + shift)
        assert signing.verify_v2(header, "POST", HOLD, BODY, keys=public_keys(keys)) is None
    fresh = signing.sign_v2("POST", HOLD, BODY, key=key, timestamp=int(time.time()) - 290)
    assert signing.verify_v2(fresh, "POST", HOLD, BODY, keys=public_keys(keys)) == "campaign"


def test_another_sender_named_in_the_header_is_refused(keys: Path) -> None:
    header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "campaign"))
    payment = key_of(keys, "payment")
    # the sender is signed: renaming it (with payment's key id, or campaign's) breaks it
    for forged in (
        header.replace("s=campaign", "s=payment"),
        header.replace("s=campaign", "s=payment").split(",k=")[0]
        + f",k={payment.key_id},v2="
        + header.split("v2=")[1],
    ):
        assert signing.verify_v2(forged, "POST", HOLD, BODY, keys=public_keys(keys)) is None


def test_a_key_not_of_the_named_sender_is_refused(keys: Path) -> None:
    """campaign's key signing as payment: the key id is campaign's, not one of payment's."""
    campaign = key_of(keys, "campaign")
    posing = signing.SigningKey(service="payment", key=campaign.key, key_id=campaign.key_id)
    header = signing.sign_v2("POST", "/internal/events", BODY, key=posing)
    assert "s=payment" in header

    assert (
        signing.verify_v2(header, "POST", "/internal/events", BODY, keys=public_keys(keys)) is None
    )
    # naming payment's real key id instead: the signature is not payment's
    payment_id = key_of(keys, "payment").key_id
    lying = header.replace(f"k={campaign.key_id}", f"k={payment_id}")
    assert (
        signing.verify_v2(lying, "POST", "/internal/events", BODY, keys=public_keys(keys)) is None
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1,s=campaign,k=00000000,v2=AAAA",
        "t=abc,s=campaign,k=00000000,v2=AAAA",
        "s=campaign,k=00000000,v2=AAAA",
        "t=1700000000,s=campaign,v2=AAAA",
        "t=1700000000,s=campaign,k=00000000,v2=!!!",
        "t=1700000000,s=cámpaign,k=00000000,v2=AAAA",
    ],
)
def test_malformed_headers_are_refused_not_a_crash(keys: Path, header: str | None) -> None:
    assert signing.verify_v2(header, "POST", HOLD, BODY, keys=public_keys(keys)) is None


def test_two_keys_of_a_service_are_taken_during_a_rotation(keys: Path) -> None:
    old = key_of(keys, "campaign")
    ensure_internal_key("campaign", keys / "next", keys / "next")
    (keys / "next" / "internal-campaign.pub").rename(keys / "public" / "internal-campaign.next.pub")
    new_private = signing.load_private_key(keys / "next" / "internal-campaign.pem")
    assert new_private is not None
    new = signing.SigningKey.of("campaign", new_private)
    assert new.key_id != old.key_id

    for key in (old, new):
        header = signing.sign_v2("POST", HOLD, BODY, key=key)
        assert signing.verify_v2(header, "POST", HOLD, BODY, keys=public_keys(keys)) == "campaign"
    # the old key removed (the new one now internal-campaign.pub): only the new one is taken
    (keys / "public" / "internal-campaign.next.pub").replace(
        keys / "public" / "internal-campaign.pub"
    )
    assert (
        signing.verify_v2(
            signing.sign_v2("POST", HOLD, BODY, key=old), "POST", HOLD, BODY, keys=public_keys(keys)
        )
        is None
    )


def test_a_key_added_for_a_rotation_is_found_without_a_restart(
    keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = keys / "public"
    assert ("campaign", key_of(keys, "campaign").key_id) in signing.verify_keys(directory)
    ensure_internal_key("campaign", keys / "next", keys / "next")
    (keys / "next" / "internal-campaign.pub").rename(directory / "internal-campaign.next.pub")
    new_private = signing.load_private_key(keys / "next" / "internal-campaign.pem")
    assert new_private is not None
    wanted = ("campaign", signing.SigningKey.of("campaign", new_private).key_id)

    assert wanted not in signing.verify_keys(directory, wanted=wanted)  # read < 30 s ago
    monkeypatch.setattr(signing, "RELOAD_SECONDS", 0.0)
    assert wanted in signing.verify_keys(directory, wanted=wanted)


def test_keys_are_read_once_per_process(keys: Path) -> None:
    path = keys / "private" / "campaign" / "internal-campaign.pem"
    first = signing.signing_key(path, "campaign")
    directory = keys / "public"
    public = signing.verify_keys(directory)
    path.unlink()
    for file in directory.iterdir():
        file.unlink()

    assert signing.signing_key(path, "campaign") is first
    assert signing.verify_keys(directory) is public
    assert len(public) == len(PLATFORM_SERVICES)


# --- the receiving views (IsSignedInternalCall) ------------------------------------------------


def test_a_view_admits_a_v2_call_and_knows_its_sender(
    keys: Path, as_service: Callable[..., None]
) -> None:
    header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "campaign"))

    assert admitted("POST", HOLD, BODY, header) == (True, "campaign")
    get = signing.sign_v2("GET", "/internal/pledges?after=3", b"", key=key_of(keys, "campaign"))
    assert admitted("GET", "/internal/pledges?after=3", b"", get) == (True, "campaign")
    assert admitted("GET", "/internal/pledges?after=4", b"", get)[0] is False


def test_a_view_admits_only_its_allowed_senders(
    keys: Path, as_service: Callable[..., None]
) -> None:
    for service in PLATFORM_SERVICES:
        header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, service))
        assert admitted("POST", HOLD, BODY, header, CampaignOnly())[0] is (service == "campaign")
        assert admitted("POST", HOLD, BODY, header)[0] is True  # no allowed_senders: any service


def test_a_sender_outside_the_platform_is_refused_by_default(
    keys: Path, as_service: Callable[..., None]
) -> None:
    ensure_internal_key("sandbox", keys / "private" / "sandbox", keys / "public")
    header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "sandbox"))

    assert admitted("POST", HOLD, BODY, header) == (False, None)


def test_v1_is_refused_with_refuse_and_taken_with_accept(
    settings: Any, as_service: Callable[..., None]
) -> None:
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    header = signing.sign(BODY, secret=secret)

    assert admitted("POST", HOLD, BODY, header) == (False, None)
    as_service("pledge", v1="accept")
    assert admitted("POST", HOLD, BODY, header) == (True, None)  # v1 names no sender
    assert admitted("POST", HOLD, BODY, signing.sign(BODY, secret="not it"))[0] is False


def test_v1_defaults_to_accept_only_in_development() -> None:
    import careforall_common.settings as shared

    assert shared.CAREFORALL["INTERNAL_SIGNATURE_V1"] == ("accept" if shared.DEBUG else "refuse")


def test_v1_lets_a_body_signed_for_one_path_through_at_another_v2_does_not(
    keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    """The weakness of v1: it signs the body only, so a captured hold is a valid release (or
    any other POST with that body), for 300 s. v2 signs the method and path too."""
    as_service("pledge", v1="accept")
    v1 = signing.sign(BODY, secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    release = "/internal/campaigns/7/release"
    assert admitted("POST", release, BODY, v1)[0] is True  # v1: signed for HOLD, taken here

    as_service("pledge", v1="refuse")
    assert admitted("POST", release, BODY, v1)[0] is False
    v2 = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "campaign"))
    assert admitted("POST", HOLD, BODY, v2)[0] is True
    assert admitted("POST", release, BODY, v2)[0] is False


def test_a_header_with_v2_is_judged_by_v2_alone(
    keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    as_service("pledge", v1="accept")
    header = signing.sign_v2("POST", HOLD, BODY, key=key_of(keys, "payment"))
    t = header.split(",")[0].removeprefix("t=")
    v1 = signing.v1_digest(
        BODY, secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"], timestamp=int(t)
    )

    assert admitted("POST", HOLD, BODY, f"{header},v1={v1}", CampaignOnly())[0] is False


# --- the sending side (internal_get, internal_post) ----------------------------------------


def test_calls_are_signed_v2_by_this_service(
    keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    as_service("campaign")
    with fake_peer(settings, "pledge", verify_keys=keys / "public") as peer:
        peer.items[7] = {"pledge_id": 7}
        assert internal_get("pledge", "/internal/pledges/7?fields=all").status_code == 200
        response = internal_post("pledge", HOLD, {"campaign_id": 7, "reason": "delete"})
        assert response.status_code == 405  # signed, admitted: a plain FakePeer takes no POST
    assert peer.senders == ["campaign", "campaign"]


def test_a_peer_refuses_a_sender_it_does_not_admit(
    keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    from careforall_common.testing.peers import FakePeer

    as_service("payment")
    peer = FakePeer(verify_keys=keys / "public", allowed_senders=("campaign",))
    with fake_peer(settings, "pledge", peer=peer):
        assert internal_get("pledge", "/internal/pledges/7").status_code == 403


def test_v1_travels_beside_v2_only_while_accepted(
    keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    as_service("campaign", v1="refuse")
    assert "v1=" not in signature_header("POST", HOLD, BODY)
    as_service("campaign", v1="accept")
    header = signature_header("POST", HOLD, BODY)
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    assert signing.verify(header, BODY, secret=secret)  # a receiver of an earlier release
    assert signing.verify_v2(header, "POST", HOLD, BODY, keys=public_keys(keys)) == "campaign"


def test_without_its_key_a_service_cannot_sign(
    keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    as_service("campaign")
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "INTERNAL_SIGNING_KEY_FILE": str(keys / "missing.pem"),
    }
    with pytest.raises(ImproperlyConfigured):
        signature_header("GET", "/internal/pledges", b"")
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_SIGNATURE_V1": "accept"}
    assert signature_header("GET", "/internal/pledges", b"").count("v1=") == 1  # development


# --- event ingestion: a service publishes only its own events -------------------------------


def envelope(event_type: str, source: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": "2025-01-01T00:00:00Z",
        "source": source,
        "aggregate_id": 1,
        "request_id": "",
        "payload": {"thing": 1},
    }


def post_events(client: Any, keys: Path, sender: str, events: list[dict[str, Any]]) -> Any:
    body = json.dumps({"events": events}).encode()
    header = signing.sign_v2("POST", "/internal/events", body, key=key_of(keys, sender))
    return client.post(
        "/internal/events",
        data=body,
        content_type="application/json",
        headers={signing.HEADER: header},
    )


def test_the_inbox_admits_the_publishers_of_the_types_it_handles(settings: Any) -> None:
    producers = {"THING_HAPPENED": "payment", "THING_CHANGED": "campaign"}
    settings.CAREFORALL = {**settings.CAREFORALL, "EVENT_PRODUCERS": producers}
    assert EventIngestApi().allowed_senders == ("payment",)  # tests.settings: THING_HAPPENED

    settings.CAREFORALL = {**settings.CAREFORALL, "EVENT_PRODUCERS": {}}
    assert EventIngestApi().allowed_senders == PLATFORM_SERVICES  # a publisher not named


@pytest.mark.django_db
def test_an_event_signed_by_another_service_than_its_publisher_is_rejected(
    client: Any, keys: Path, settings: Any, as_service: Callable[..., None]
) -> None:
    """A compromised campaign_service cannot forge payment_service's events."""
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "EVENT_PRODUCERS": {"THING_HAPPENED": "payment", "THING_CHANGED": "campaign"},
    }

    # a sender that publishes nothing handled here is not admitted at all
    assert (
        post_events(client, keys, "campaign", [envelope("THING_HAPPENED", "campaign")]).status_code
        == 403
    )
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "EVENT_HANDLERS": {
            **settings.CAREFORALL["EVENT_HANDLERS"],
            "THING_CHANGED": "tests.handlers.thing_happened",
        },
    }
    response = post_events(
        client,
        keys,
        "campaign",
        [envelope("THING_HAPPENED", "campaign"), envelope("THING_HAPPENED", "payment")],
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "rejected"]

    response = post_events(client, keys, "payment", [envelope("THING_HAPPENED", "payment")])
    assert [r["status"] for r in response.json()["results"]] == ["processed"]


# --- keys and the production warning ---------------------------------------------------------


def test_the_keys_command_makes_each_service_a_pair(tmp_path: Path) -> None:
    assert main([str(tmp_path / "dev")]) == 0
    made = {p.name for p in (tmp_path / "dev").iterdir()}
    assert {"jwt_private.pem", "jwt_public.pem"} <= made
    for service in PLATFORM_SERVICES:
        assert {f"internal-{service}.pem", f"internal-{service}.pub"} <= made
        mode = stat.S_IMODE(os.stat(tmp_path / "dev" / f"internal-{service}.pem").st_mode)
        assert mode == 0o600
    before = (tmp_path / "dev" / "internal-pledge.pem").read_bytes()
    main([str(tmp_path / "dev")])
    assert (tmp_path / "dev" / "internal-pledge.pem").read_bytes() == before  # kept

    # compose's keys job of one service: its private key alone, the public key elsewhere
    main(
        [
            str(tmp_path / "campaign"),
            "--no-jwt",
            "--internal",
            "campaign",
            "--public-dir",
            str(tmp_path / "pub"),
        ]
    )
    assert {p.name for p in (tmp_path / "campaign").iterdir()} == {"internal-campaign.pem"}
    assert {p.name for p in (tmp_path / "pub").iterdir()} == {"internal-campaign.pub"}


def test_a_production_process_that_takes_v1_is_warned(settings: Any) -> None:
    settings.DEBUG = False
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_SIGNATURE_V1": "accept"}
    assert [m.id for m in checks.check_internal_signature_v1()] == ["careforall.W080"]
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_SIGNATURE_V1": "refuse"}
    assert checks.check_internal_signature_v1() == []
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_SIGNATURE_V1": "maybe"}
    assert [m.id for m in checks.check_internal_signature_v1()] == ["careforall.W081"]
    settings.DEBUG = True
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_SIGNATURE_V1": "accept"}
    assert checks.check_internal_signature_v1() == []
    call_command("check")  # registered, and silent in development


def test_the_keys_command_makes_the_transparency_key_once(tmp_path: Path) -> None:
    assert main([str(tmp_path), "--no-jwt", "--internal", "campaign", "--transparency"]) == 0
    key = tmp_path / "transparency.pem"
    first = key.read_text()
    assert "PRIVATE KEY" in first
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert main([str(tmp_path), "--no-jwt", "--internal", "campaign", "--transparency"]) == 0
    assert key.read_text() == first  # kept, never replaced
