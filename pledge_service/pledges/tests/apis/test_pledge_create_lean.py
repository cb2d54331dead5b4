"""The lean create path answers exactly what DRF's path answers (careforall_common.lean).

Each request is sent twice, once as it comes (a plain one takes the lean path) and once with the
lean path switched off (every request through DRF's dispatch, as before), and the two answers
must be the same: status, headers and body, but for what differs between any two creates (the
pledge's id and times, the guest's receipt token, the request id).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.views import APIView

from careforall_common.lean import NotPlain
from pledges.apis import PledgeListCreateApi
from pledges.inputs import pledge_input
from pledges.models import CampaignHold, Pledge
from pledges.tests.factories import GUEST_BODY, SIGNED_IN_BODY, campaign_changed

VARYING = ("id", "created_at", "updated_at", "receipt_token")


def answer(client: Any, body: Any, *, key: str | None, **extra: Any) -> tuple[Any, ...]:
    headers = {"Idempotency-Key": key} if key is not None else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    content_type = extra.pop("content_type", "application/json")
    response = client.post(
        "/api/pledges", data, content_type=content_type, headers=headers, **extra
    )
    document = response.json() if response.content else None
    if isinstance(document, dict):
        document = {k: ("…" if k in VARYING else v) for k, v in document.items()}
    kept = {k: v for k, v in response.items() if k != "X-Request-Id"}
    return response.status_code, kept, document


def both(monkeypatch: Any, client: Any, body: Any, *, key: str | None, **extra: Any) -> Any:
    lean = answer(client, body, key=None if key is None else f"lean-{key}", **dict(extra))
    with monkeypatch.context() as patched:
        patched.setattr(PledgeListCreateApi, "lean_post", _not_plain)
        drf = answer(client, body, key=None if key is None else f"drf-{key}", **dict(extra))
    return lean, drf


def _not_plain(self: Any, request: Any, **kwargs: Any) -> Any:
    raise NotPlain


CASES = [
    pytest.param("donor", SIGNED_IN_BODY, {}, id="signed-in"),
    pytest.param("donor", {**SIGNED_IN_BODY, "currency": "usd", "anonymous": True}, {}, id="all"),
    pytest.param("guest", GUEST_BODY, {}, id="guest"),
    pytest.param("guest", {**GUEST_BODY, "amount": 100}, {}, id="guest-minimum"),
    pytest.param("guest", {**GUEST_BODY, "donor_email": "nope"}, {}, id="guest-email"),
    pytest.param("guest", SIGNED_IN_BODY, {}, id="guest-nameless"),
    pytest.param("donor", {**GUEST_BODY}, {}, id="signed-in-named"),
    pytest.param("donor", {**SIGNED_IN_BODY, "currency": "eur"}, {}, id="other-currency"),
    pytest.param("donor", {**SIGNED_IN_BODY, "currency": "USD"}, {}, id="bad-currency"),
    pytest.param("donor", {**SIGNED_IN_BODY, "campaign_id": 8}, {}, id="closed"),
    pytest.param("donor", {**SIGNED_IN_BODY, "campaign_id": 9}, {}, id="facts-unknown"),
    pytest.param("donor", {**SIGNED_IN_BODY, "amount": "2500"}, {}, id="string-amount"),
    pytest.param("donor", {**SIGNED_IN_BODY, "amount": 2500.0}, {}, id="float-amount"),
    pytest.param("donor", {**SIGNED_IN_BODY, "amount": True}, {}, id="bool-amount"),
    pytest.param("donor", {**SIGNED_IN_BODY, "amount": 10**12}, {}, id="huge-amount"),
    pytest.param("donor", {**SIGNED_IN_BODY, "extra": 1}, {}, id="unknown-field"),
    pytest.param("donor", [1, 2], {}, id="array"),
    pytest.param("donor", "{not json", {}, id="malformed"),
    pytest.param("donor", '{"campaign_id": 7, "amount": NaN}', {}, id="nan"),
    pytest.param("donor", "", {}, id="empty"),
    pytest.param("donor", SIGNED_IN_BODY, {"content_type": "text/plain"}, id="media-type"),
    pytest.param("donor", SIGNED_IN_BODY, {"HTTP_ACCEPT": "text/html"}, id="not-acceptable"),
    pytest.param("donor", SIGNED_IN_BODY, {"HTTP_ACCEPT": "application/json"}, id="accept"),
    pytest.param("donor", SIGNED_IN_BODY, {"QUERY_STRING": "format=xml"}, id="format"),
    pytest.param("bad-token", SIGNED_IN_BODY, {}, id="bad-token"),
    pytest.param("basic", SIGNED_IN_BODY, {}, id="basic-auth-is-a-guest"),
]


@pytest.fixture
def clients(donor_client: Any, guest_client: Any) -> dict[str, Any]:
    bad = type(guest_client)()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    basic = type(guest_client)()
    basic.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    return {"donor": donor_client, "guest": guest_client, "bad-token": bad, "basic": basic}


@pytest.fixture
def campaigns(client: Any, active_campaign: int) -> None:
    campaign_changed(client, campaign_id=8, status="closed", currency="usd")


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "body", "extra"), CASES)
def test_the_lean_path_answers_as_drf_does(
    monkeypatch: Any, clients: dict[str, Any], campaigns: None, who: str, body: Any, extra: Any
) -> None:
    lean, drf = both(monkeypatch, clients[who], body, key="k", **extra)

    assert lean == drf


@pytest.mark.django_db
def test_replays_missing_keys_and_held_campaigns_answer_as_drf_does(
    monkeypatch: Any, donor_client: Any, campaigns: None
) -> None:
    first = both(monkeypatch, donor_client, SIGNED_IN_BODY, key="r")
    replay = both(monkeypatch, donor_client, SIGNED_IN_BODY, key="r")
    other_body = both(monkeypatch, donor_client, {**SIGNED_IN_BODY, "amount": 900}, key="r")
    keyless = both(monkeypatch, donor_client, SIGNED_IN_BODY, key=None)
    CampaignHold.objects.create(campaign_id=7, until=None)
    held = both(monkeypatch, donor_client, SIGNED_IN_BODY, key="h")

    for lean, drf in (first, replay, other_body, keyless, held):
        assert lean == drf
    assert replay[0][1]["Idempotent-Replayed"] == "true"
    assert (other_body[0][0], keyless[0][0], held[0][0]) == (422, 400, 409)
    assert Pledge.objects.count() == 2  # the first of each path; nothing for the refusals


@pytest.mark.django_db
def test_a_plain_create_skips_drf_s_machinery(
    monkeypatch: Any, donor_client: Any, guest_client: Any, active_campaign: int
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("DRF's dispatch ran")

    monkeypatch.setattr(APIView, "initial", refuse)

    assert answer(donor_client, SIGNED_IN_BODY, key="a")[0] == 201
    assert answer(guest_client, GUEST_BODY, key="b")[0] == 201


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=2),
    max_leaves=3,
)
candidate = st.fixed_dictionaries(
    {},
    optional={
        "campaign_id": st.integers(-2, 2**64) | json_values,
        "amount": st.integers(-10, 10**9) | json_values,
        "currency": st.sampled_from(["usd", "eur", "USD", "us", "usdd", "\x00us"]) | json_values,
        "anonymous": st.booleans() | json_values,
        "donor_name": st.text(max_size=160) | json_values,
        "donor_email": st.emails() | st.text(max_size=12) | json_values,
        "other": json_values,
    },
)


@given(data=candidate, signed_in=st.booleans())
@settings(max_examples=400, deadline=None)
def test_the_fast_check_never_takes_what_the_serializer_refuses(
    data: dict[str, Any], signed_in: bool
) -> None:
    serializer = PledgeListCreateApi.InputSerializer(data=data, context={"signed_in": signed_in})
    valid = serializer.is_valid()
    fast = pledge_input(data, signed_in=signed_in)

    if fast is not None:
        assert valid, serializer.errors
        assert list(fast.items()) == list(dict(serializer.validated_data).items())


@pytest.mark.parametrize(
    ("body", "signed_in"),
    [
        (SIGNED_IN_BODY, True),
        ({**SIGNED_IN_BODY, "currency": "eur", "anonymous": False}, True),
        ({"amount": 100, "campaign_id": 2**63 - 1}, True),
        (GUEST_BODY, False),
        ({**GUEST_BODY, "donor_name": "  Zoë ", "anonymous": True}, False),
    ],
)
def test_the_fast_check_takes_plain_bodies_as_the_serializer_does(
    body: dict[str, Any], signed_in: bool
) -> None:
    serializer = PledgeListCreateApi.InputSerializer(data=body, context={"signed_in": signed_in})
    assert serializer.is_valid()

    assert pledge_input(body, signed_in=signed_in) == dict(serializer.validated_data)
