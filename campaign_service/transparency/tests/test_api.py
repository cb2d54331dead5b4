"""The public read API (SPEC §3): shapes, bounds (400 problem+json), caching headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from campaigns.tests.factories import campaign_make
from transparency import note, tree, verify
from transparency.checkpoints import checkpoints_sign
from transparency.tests.gifts import capture, refund

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


@pytest.fixture
def logged(deliver: Deliver) -> int:
    """A campaign whose log holds 6 entries (5 captures, a refund), signed at 6."""
    campaign = campaign_make()
    deliver(*(capture(campaign, n, 100 * n) for n in range(1, 6)))
    deliver(refund(campaign, 2, refund_id=1, amount=50))
    checkpoints_sign()
    return campaign.pk


def base(campaign_id: int) -> str:
    return f"/api/campaigns/{campaign_id}/transparency"


def test_the_key_names_the_public_host(client: Any) -> None:
    response = client.get("/api/transparency/key")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "localhost:8080/campaigns"
    assert body["key"].startswith("localhost:8080/campaigns+")
    note.verifier_key_parse(body["key"])
    assert response["Cache-Control"].startswith("public")


def test_the_checkpoint_is_a_signed_note_and_404_for_an_empty_log(client: Any, logged: int) -> None:
    response = client.get(f"{base(logged)}/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "public, max-age=1"
    key = client.get("/api/transparency/key").json()["key"]
    checkpoint = note.note_verify(response.content.decode(), key)
    assert (checkpoint.tree_size, checkpoint.total) == (6, 1_450)

    # What a browser asks for: the note, or a problem document.
    accept = "text/plain, application/problem+json"
    asked = client.get(f"{base(logged)}/checkpoint", HTTP_ACCEPT=accept)
    assert asked.status_code == 200
    assert asked.content == response.content
    missing = client.get(f"{base(campaign_make().pk)}/checkpoint", HTTP_ACCEPT=accept)
    assert missing.status_code == 404
    assert missing.json()["status"] == 404

    empty = client.get(f"{base(campaign_make().pk)}/checkpoint")
    assert empty.status_code == 404
    assert empty["Content-Type"] == "application/problem+json"


def test_entries_are_the_eight_keys_in_order(client: Any, logged: int) -> None:
    response = client.get(f"{base(logged)}/entries", {"start": 1, "end": 6})
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    entries = response.json()["entries"]
    assert [e["index"] for e in entries] == [1, 2, 3, 4, 5]
    assert all(set(e) == tree.ENTRY_KEYS for e in entries)
    assert entries[-1] | {"commitment": "", "occurred_at": ""} == {
        "index": 5,
        "campaign_id": logged,
        "kind": "refund",
        "amount": -50,
        "currency": "usd",
        "occurred_at": "",
        "commitment": "",
        "refers_to": 1,
    }
    assert client.get(f"{base(logged)}/entries", {"start": 6, "end": 6}).json() == {"entries": []}


def test_an_inclusion_proof_verifies_against_the_checkpoint(client: Any, logged: int) -> None:
    key = client.get("/api/transparency/key").json()["key"]
    checkpoint = note.note_verify(client.get(f"{base(logged)}/checkpoint").content.decode(), key)
    for index in range(6):
        body = client.get(f"{base(logged)}/proof", {"index": index, "tree_size": 6}).json()
        assert set(body) == {"entry", "tree_size", "path"}
        assert body["tree_size"] == 6
        assert all(item["hash"] == item["hash"].lower() for item in body["path"])
        assert verify.inclusion_verify(
            index=index,
            tree_size=6,
            leaf=tree.leaf_node(body["entry"]),
            path=[tree.Node(bytes.fromhex(i["hash"]), i["sum"]) for i in body["path"]],
            root=tree.Node(checkpoint.root_hash, checkpoint.total),
        )
    # Any size the log has had, checkpointed or not.
    assert client.get(f"{base(logged)}/proof", {"index": 0, "tree_size": 3}).status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("entries", {"start": 0, "end": 1_001}),
        ("entries", {"start": 0, "end": 7}),
        ("entries", {"start": 5, "end": 2}),
        ("entries", {"start": "x", "end": 2}),
        ("entries", {"end": 2}),
        ("proof", {"index": 0, "tree_size": 7}),
        ("proof", {"index": 6, "tree_size": 6}),
        ("proof", {"index": -1, "tree_size": 6}),
        ("consistency", {"from": 0, "to": 6}),
        ("consistency", {"from": 4, "to": 3}),
        ("consistency", {"from": 3, "to": 7}),
    ],
)
def test_a_range_past_the_log_or_a_size_it_never_had_is_400(
    client: Any, logged: int, path: str, query: dict[str, Any]
) -> None:
    response = client.get(f"{base(logged)}/{path}", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "max-age" not in response.get("Cache-Control", "")


def test_wider_than_1000_is_400_even_on_a_big_log(client: Any) -> None:
    response = client.get(f"{base(campaign_make().pk)}/entries", {"start": 0, "end": 1_001})
    assert response.status_code == 400
    assert "1000" in response.json()["detail"]


def test_consistency_between_equal_sizes_is_empty(client: Any, logged: int) -> None:
    body = client.get(f"{base(logged)}/consistency", {"from": 6, "to": 6}).json()
    assert body == {"path": []}
    assert len(client.get(f"{base(logged)}/consistency", {"from": 2, "to": 6}).json()["path"]) > 0
