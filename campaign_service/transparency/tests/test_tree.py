"""transparency.tree against a naive recursive RFC 9162 §2.1 written here from the RFC's text (with
sums), over the full leaf list: roots, inclusion and consistency paths for every tree of 1 to 33
entries, their verification, and the tampering each must catch."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

import pytest

from transparency import tree, verify
from transparency.tree import MemoryNodeStore, Node

from .logs import make_entries

MAX_SIZE = 33

# The reference: MTH, PATH and PROOF of RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1, with sums.

Ref = tuple[bytes, int]


def ref_leaf(entry: dict) -> Ref:
    data = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(b"\x00" + data).digest(), entry["amount"]


def ref_inner(left: Ref, right: Ref) -> Ref:
    data = (
        b"\x01"
        + left[0]
        + left[1].to_bytes(8, "big", signed=True)
        + right[0]
        + right[1].to_bytes(8, "big", signed=True)
    )
    return hashlib.sha256(data).digest(), left[1] + right[1]


def ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: Sequence[Ref]) -> Ref:
    if len(leaves) == 1:
        return leaves[0]
    k = ref_split(len(leaves))
    return ref_inner(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: Sequence[Ref]) -> list[Ref]:
    if len(leaves) == 1:
        return []
    k = ref_split(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: Sequence[Ref], whole: bool) -> list[Ref]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], whole), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


# Logs


def build(entries: Sequence[dict]) -> MemoryNodeStore:
    store = MemoryNodeStore()
    for size, entry in enumerate(entries):
        tree.tree_append(store, size, entry)
    return store


def as_refs(path: Sequence[Node]) -> list[Ref]:
    return [(node.hash, node.sum) for node in path]


ENTRIES = make_entries(MAX_SIZE)
LEAVES = [ref_leaf(entry) for entry in ENTRIES]
STORE = build(ENTRIES)  # one log of 33 entries serves every smaller tree size too


def ref_root(size: int) -> Node:
    return Node(*ref_mth(LEAVES[:size]))


# Leaves


def test_leaf_bytes_are_sorted_compact_json():
    entry = ENTRIES[4]

    data = tree.leaf_bytes(entry)

    assert data == (
        b'{"amount":-211,"campaign_id":7,"commitment":"' + entry["commitment"].encode() + b'",'
        b'"currency":"usd","index":4,"kind":"refund","occurred_at":"2025-04-01T10:00:04.000001Z",'
        b'"refers_to":3}'
    )


def test_leaf_bytes_escape_strings_as_rfc_8785():
    # RFC 8785 §3.2.2.2: only " \ and controls are escaped (\b \t \n \f \r short, others \u00xx
    # lowercase); everything else, non-ASCII and U+2028 / U+007F included, is UTF-8 as is.
    entry = {**ENTRIES[0], "kind": 'é€\U0001f600"\\/\b\t\n\f\r\x00\x1f\x7f\u2028'}

    data = tree.leaf_bytes(entry)

    expected = '"kind":"é€\U0001f600\\"\\\\/\\b\\t\\n\\f\\r\\u0000\\u001f\x7f\u2028"'
    assert expected.encode() in data


@pytest.mark.parametrize(
    "change",
    [
        {"extra": 1},
        {"amount": 1.0},
        {"amount": True},
        {"amount": "12"},
        {"amount": 2**53},
        {"index": None},
        {"refers_to": "1"},
        {"currency": None},
        {"kind": "\ud800"},  # a lone surrogate has no UTF-8 form
    ],
)
def test_leaf_bytes_refuse_other_shapes(change):
    with pytest.raises(ValueError):  # noqa: PT011  # the message varies by field
        tree.leaf_bytes({**ENTRIES[0], **change})


def test_leaf_bytes_refuse_a_missing_key():
    entry = dict(ENTRIES[0])
    del entry["refers_to"]

    with pytest.raises(ValueError, match="exactly the keys"):
        tree.leaf_bytes(entry)


def test_inner_node_encodes_sums_as_64_bit_twos_complement():
    left, right = Node(b"\x11" * 32, -1), Node(b"\x22" * 32, 2**63 - 1)

    node = tree.node_combine(left, right)

    data = b"\x01" + b"\x11" * 32 + b"\xff" * 8 + b"\x22" * 32 + b"\x7f" + b"\xff" * 7
    assert node == Node(hashlib.sha256(data).digest(), 2**63 - 2)
    with pytest.raises(ValueError, match="64 bits"):
        tree.node_combine(left, Node(b"\x22" * 32, 2**63))


# Roots and proofs against the reference


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_root_matches_the_reference(size):
    assert tree.tree_root(STORE, size) == ref_root(size)


def test_append_writes_exactly_the_complete_subtrees():
    expected = {
        (level, index)
        for level in range(MAX_SIZE.bit_length())
        for index in range(MAX_SIZE >> level)
    }

    assert set(STORE.nodes) == expected
    for (level, index), node in STORE.nodes.items():
        leaves = LEAVES[index << level : (index + 1) << level]
        assert node == Node(*ref_mth(leaves))


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_inclusion_proofs_match_the_reference_and_verify(size):
    root = ref_root(size)
    for index in range(size):
        path = tree.inclusion_proof(STORE, index, size)
        leaf = tree.leaf_node(ENTRIES[index])

        assert as_refs(path) == ref_path(index, LEAVES[:size])
        assert verify.inclusion_verify(index=index, tree_size=size, leaf=leaf, path=path, root=root)
        # the same proof proves nothing else
        other = (index + 1) % size
        if other != index:
            assert not verify.inclusion_verify(
                index=other, tree_size=size, leaf=leaf, path=path, root=root
            )
        assert not verify.inclusion_verify(
            index=index, tree_size=size, leaf=leaf, path=path, root=root._replace(sum=root.sum + 1)
        )


@pytest.mark.parametrize("new_size", range(1, MAX_SIZE + 1))
def test_consistency_proofs_match_the_reference_and_verify(new_size):
    new_root = ref_root(new_size)
    for old_size in range(1, new_size + 1):
        old_root = ref_root(old_size)
        path = tree.consistency_proof(STORE, old_size, new_size)

        assert as_refs(path) == ref_subproof(old_size, LEAVES[:new_size], True)
        assert verify.consistency_verify(
            old_size=old_size, new_size=new_size, old_root=old_root, new_root=new_root, path=path
        )
        wrong_old = old_root._replace(sum=old_root.sum + 1)
        assert not verify.consistency_verify(
            old_size=old_size, new_size=new_size, old_root=wrong_old, new_root=new_root, path=path
        )
        if old_size > 1:
            assert not verify.consistency_verify(
                old_size=old_size - 1,
                new_size=new_size,
                old_root=old_root,
                new_root=new_root,
                path=path,
            )


def test_proofs_of_tree_sizes_past_the_log_are_refused():
    with pytest.raises(KeyError):
        tree.tree_root(STORE, MAX_SIZE + 1)
    with pytest.raises(ValueError, match="below the tree size"):
        tree.inclusion_proof(STORE, 5, 5)
    with pytest.raises(ValueError, match="old size"):
        tree.consistency_proof(STORE, 6, 5)


# Storage costs


class CountingStore(MemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[int] = []

    def read(self, addresses):
        self.reads.append(len(addresses))
        return super().read(addresses)


def test_every_operation_reads_one_batch_of_logarithmic_size():
    store = CountingStore()
    entries = make_entries(1000)
    for size, entry in enumerate(entries):
        tree.tree_append(store, size, entry)
        assert len(store.reads) <= 1
        assert sum(store.reads) <= math.log2(size + 1)
        store.reads.clear()
    bound = 2 * math.ceil(math.log2(1000)) + 1
    for size in (1, 2, 3, 511, 512, 513, 777, 999, 1000):
        for operation, arguments in (
            (tree.tree_root, (size,)),
            (tree.inclusion_proof, (size // 3, size)),
            (tree.consistency_proof, (max(1, size // 3), size)),
        ):
            operation(store, *arguments)
            assert len(store.reads) == 1
            assert store.reads[0] <= bound
            store.reads.clear()


def test_nodes_are_never_overwritten():
    store = build(ENTRIES[:3])

    with pytest.raises(ValueError, match="already written"):
        tree.tree_append(store, 2, ENTRIES[2])
    with pytest.raises(ValueError, match="has index 4"):
        tree.tree_append(store, 4, ENTRIES[3])
    assert len(store.nodes) == 4


# Tampering


def test_a_changed_amount_is_caught():
    size, index = 20, 6
    root = ref_root(size)
    changed = {**ENTRIES[index], "amount": ENTRIES[index]["amount"] + 1}
    path = tree.inclusion_proof(STORE, index, size)

    assert tree.tree_root(build([*ENTRIES[:index], changed, *ENTRIES[index + 1 : size]]), size) != (
        root
    )
    assert not verify.inclusion_verify(
        index=index, tree_size=size, leaf=tree.leaf_node(changed), path=path, root=root
    )


def test_a_changed_sum_in_a_path_is_caught():
    path = tree.inclusion_proof(STORE, 3, 20)
    forged = [path[0]._replace(sum=path[0].sum + 500), *path[1:]]

    assert not verify.inclusion_verify(
        index=3, tree_size=20, leaf=tree.leaf_node(ENTRIES[3]), path=forged, root=ref_root(20)
    )


def test_a_dropped_entry_is_caught():
    dropped = [{**entry, "index": i} for i, entry in enumerate(ENTRIES[:7] + ENTRIES[8:21])]
    store = build(dropped)

    assert tree.tree_root(store, 20) != ref_root(20)
    assert not verify.consistency_verify(
        old_size=10,
        new_size=20,
        old_root=ref_root(10),
        new_root=tree.tree_root(store, 20),
        path=tree.consistency_proof(store, 10, 20),
    )


def test_a_reordered_pair_is_caught():
    swapped = list(ENTRIES[:12])
    swapped[5], swapped[6] = {**swapped[6], "index": 5}, {**swapped[5], "index": 6}
    store = build(swapped)

    assert tree.tree_root(store, 12) != ref_root(12)
    assert not verify.inclusion_verify(
        index=5,
        tree_size=12,
        leaf=tree.leaf_node(ENTRIES[5]),
        path=tree.inclusion_proof(store, 5, 12),
        root=tree.tree_root(store, 12),
    )


def test_a_forked_log_is_not_consistent():
    fork = build([*ENTRIES[:9], *make_entries(20, seed="fork")[9:]])

    assert tree.tree_root(fork, 9) == ref_root(9)
    assert verify.consistency_verify(
        old_size=9,
        new_size=20,
        old_root=ref_root(9),
        new_root=tree.tree_root(fork, 20),
        path=tree.consistency_proof(fork, 9, 20),
    )
    for old_size in (10, 13, 16):
        assert not verify.consistency_verify(
            old_size=old_size,
            new_size=20,
            old_root=ref_root(old_size),
            new_root=tree.tree_root(fork, 20),
            path=tree.consistency_proof(fork, old_size, 20),
        )


def test_malformed_paths_fail_without_raising():
    path = tree.inclusion_proof(STORE, 3, 20)
    leaf, root = tree.leaf_node(ENTRIES[3]), ref_root(20)

    for forged in (
        [path[0]._replace(hash=path[0].hash[:31]), *path[1:]],
        [path[0]._replace(sum=2**64), *path[1:]],
        path[:-1],
        [*path, path[-1]],
    ):
        assert not verify.inclusion_verify(index=3, tree_size=20, leaf=leaf, path=forged, root=root)
    assert not verify.consistency_verify(
        old_size=5, new_size=20, old_root=ref_root(5), new_root=root, path=[]
    )


# Commitments and times


def test_commitment_is_sha256_of_salt_and_payment_id():
    salt = "ab" * 32

    assert tree.commitment(salt, 1041) == hashlib.sha256(f"{salt}:1041".encode()).hexdigest()
    with pytest.raises(ValueError, match="64 lowercase hex"):
        tree.commitment("AB" * 32, 1041)


def test_salt_new_is_64_lowercase_hex_and_fresh():
    salts = {tree.salt_new() for _ in range(20)}

    assert len(salts) == 20
    assert all(len(salt) == 64 and salt == salt.lower() and int(salt, 16) >= 0 for salt in salts)


def test_occurred_at_is_utc_with_microseconds():
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime(2025, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))

    assert tree.occurred_at_format(moment) == "2025-03-01T09:30:00.000000Z"
    assert tree.occurred_at_format(datetime(2025, 3, 1, 9, 31, 12, 345678, tzinfo=UTC)) == (
        "2025-03-01T09:31:12.345678Z"
    )
    with pytest.raises(ValueError, match="aware"):
        tree.occurred_at_format(datetime(2025, 3, 1))  # noqa: DTZ001  # the refused input
