"""Known answers: the worked example of docs/transparency.md, computed by the modules, equals the
values printed there."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transparency import note, tree

from . import worked_example as example

DOC = Path(__file__).resolve().parents[3] / "docs" / "transparency.md"


@pytest.fixture(scope="module")
def store():
    store = tree.MemoryNodeStore()
    for size, entry in enumerate(example.ENTRIES):
        tree.tree_append(store, size, entry)
    return store


def hex_nodes(path):
    return [(node.hash.hex(), node.sum) for node in path]


def test_commitments():
    for salt, payment_id, expected in zip(
        example.SALTS, example.PAYMENT_IDS, example.COMMITMENTS, strict=True
    ):
        assert tree.commitment(salt, payment_id) == expected


def test_leaf_bytes():
    for entry, expected in zip(example.ENTRIES, example.LEAF_BYTES, strict=True):
        assert tree.leaf_bytes(entry) == expected.encode()


def test_nodes_root_and_proofs(store):
    assert {address: (node.hash.hex(), node.sum) for address, node in store.nodes.items()} == (
        example.NODES
    )
    root = tree.tree_root(store, 3)
    assert (root.hash.hex(), root.sum) == (example.ROOT_HASH, example.TOTAL)
    assert base64.b64encode(root.hash).decode() == example.ROOT_BASE64
    for index, expected in enumerate(example.INCLUSION_PATHS):
        assert hex_nodes(tree.inclusion_proof(store, index, 3)) == expected
    for (old_size, new_size), expected in example.CONSISTENCY_PATHS.items():
        assert hex_nodes(tree.consistency_proof(store, old_size, new_size)) == expected


def test_signed_checkpoint():
    key = Ed25519PrivateKey.from_private_bytes(example.KEY_SEED)
    text = note.checkpoint_text(
        origin=note.checkpoint_origin(example.BASE_URL, example.CAMPAIGN_ID),
        tree_size=3,
        root_hash=bytes.fromhex(example.ROOT_HASH),
        total=example.TOTAL,
        currency="usd",
    )

    assert note.key_name(example.BASE_URL) == example.KEY_NAME
    assert note.verifier_key_string(example.KEY_NAME, key.public_key()) == example.VERIFIER_KEY
    assert text == example.CHECKPOINT
    assert note.note_sign(text, key, example.KEY_NAME) == example.SIGNED_NOTE


def test_the_document_prints_these_values():
    doc = DOC.read_text()
    values = [
        example.VERIFIER_KEY,
        example.ROOT_HASH,
        example.ROOT_BASE64,
        example.SIGNED_NOTE,
        example.KEY_SEED.hex(),
        *example.SALTS,
        *example.COMMITMENTS,
        *example.LEAF_BYTES,
        *(hash_ for hash_, _ in example.NODES.values()),
    ]

    assert [value for value in values if value not in doc] == []
