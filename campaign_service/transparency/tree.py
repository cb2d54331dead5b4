"""The Merkle tree with sums of a campaign's transparency log (SPEC §3 "Transparency log").

Pure functions, no Django. A node is ``(hash, sum)``: a leaf is ``(SHA-256(0x00 ‖ leaf bytes),
amount)``, an inner node ``(SHA-256(0x01 ‖ lh ‖ ls ‖ rh ‖ rs), ls + rs)`` with each sum as 8 bytes,
big-endian two's complement. The tree over n entries splits as RFC 9162 §2.1 does; proofs are RFC
9162 §2.1.3 / §2.1.4 paths of nodes.

Storage: the only nodes kept are complete subtrees, addressed ``(level, index)`` — the node over
the 2**level leaves from ``index * 2**level`` — in a ``NodeStore``. Appending leaf n writes it and
the subtrees it completes (O(log n) writes after one read of their left halves); the root and the
proofs of any tree size ≤ n fold O(log n) stored nodes, read in one batch.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import struct
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

ENTRY_KEYS = frozenset(
    ("index", "campaign_id", "kind", "amount", "currency", "occurred_at", "commitment", "refers_to")
)
_INTEGER_KEYS = ("index", "campaign_id", "amount")
_STRING_KEYS = ("kind", "currency", "occurred_at", "commitment")
# RFC 8785 writes numbers as IEEE 754 doubles: integers beyond 2**53 would not round-trip.
MAX_SAFE_INTEGER = 2**53 - 1

_LEAF_PREFIX = b"\x00"
_INNER = struct.Struct(">B32sq32sq")  # 0x01 ‖ left hash ‖ left sum ‖ right hash ‖ right sum
_INNER_PREFIX = 0x01
_HASH_SIZE = 32
# Sorted keys, no spaces, non-ASCII as UTF-8: with only integers, strings and null this is RFC
# 8785 (JSON.stringify's escapes, which are json's: \" \\ \b \f \n \r \t, other controls \u00xx).
_CANONICAL = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)
_SALT = re.compile(r"[0-9a-f]{64}")


class Node(NamedTuple):
    """A tree node: a SHA-256 hash (32 bytes) and the sum of the amounts below it."""

    hash: bytes
    sum: int


Address = tuple[int, int]  # (level, index): the complete subtree over leaves [index·2^level, …)


class NodeStore(Protocol):
    """Where one log keeps its complete-subtree nodes (a table in the app).

    ``read`` returns the nodes at the addresses, in their order, raising ``KeyError`` for one
    that was never written; ``write`` adds nodes and never overwrites one (append-only).
    """

    def read(self, addresses: Sequence[Address]) -> Sequence[Node]: ...

    def write(self, nodes: Sequence[tuple[Address, Node]]) -> None: ...


class MemoryNodeStore:
    """A ``NodeStore`` in a dict, for tests and tools."""

    def __init__(self) -> None:
        self.nodes: dict[Address, Node] = {}

    def read(self, addresses: Sequence[Address]) -> list[Node]:
        return [self.nodes[address] for address in addresses]

    def write(self, nodes: Sequence[tuple[Address, Node]]) -> None:
        for address, node in nodes:
            if address in self.nodes:
                raise ValueError(f"node {address} is already written")
            self.nodes[address] = node


# Entries and leaves


def leaf_bytes(entry: Mapping[str, object]) -> bytes:
    """Return the entry's canonical JSON (SPEC §3), refusing anything but the eight keys with
    integer (|x| ≤ 2**53 - 1), string and, for ``refers_to``, null or integer values."""
    if set(entry) != ENTRY_KEYS:
        raise ValueError(f"an entry has exactly the keys {sorted(ENTRY_KEYS)}")
    for key in _INTEGER_KEYS:
        _check_integer(key, entry[key])
    for key in _STRING_KEYS:
        if type(entry[key]) is not str:
            raise ValueError(f"{key} must be a string")
    if entry["refers_to"] is not None:
        _check_integer("refers_to", entry["refers_to"])
    try:
        return _CANONICAL.encode(entry).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not Unicode text, no RFC 8785 form
        raise ValueError("entry strings must be valid Unicode") from None


def _check_integer(key: str, value: object) -> None:
    if type(value) is not int or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise ValueError(f"{key} must be an integer of at most 2**53 - 1 in size")


def leaf_node(entry: Mapping[str, object]) -> Node:
    """Return the leaf of an entry: (SHA-256(0x00 ‖ leaf bytes), amount)."""
    data = leaf_bytes(entry)
    digest = hashlib.sha256(_LEAF_PREFIX)
    digest.update(data)
    return Node(digest.digest(), entry["amount"])  # type: ignore[arg-type]  # checked int


def node_combine(left: Node, right: Node) -> Node:
    """Return the inner node over two children; ``ValueError`` if a sum needs more than 64 bits."""
    try:
        data = _INNER.pack(_INNER_PREFIX, left.hash, left.sum, right.hash, right.sum)
    except struct.error:
        raise ValueError("a subtree sum does not fit in 64 bits") from None
    return Node(hashlib.sha256(data).digest(), left.sum + right.sum)


def occurred_at_format(moment: datetime) -> str:
    """Return an aware datetime as an entry's ``occurred_at``: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if moment.tzinfo is None:
        raise ValueError("occurred_at must be an aware datetime")
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="microseconds") + "Z"


def salt_new() -> str:
    """Return a fresh salt: 32 random bytes as 64 lowercase hex characters."""
    return secrets.token_hex(32)


def commitment(salt_hex: str, payment_id: int | str) -> str:
    """Return the lowercase hex SHA-256 of the ASCII text ``<salt hex>:<payment_id>``."""
    if not _SALT.fullmatch(salt_hex):
        raise ValueError("a salt is 64 lowercase hex characters")
    return hashlib.sha256(f"{salt_hex}:{payment_id}".encode("ascii")).hexdigest()


# Appending


def append_reads(size: int) -> list[Address]:
    """Return the addresses an append to a log of ``size`` leaves reads: the left halves of the
    subtrees the new leaf completes, lowest first (none when ``size`` is even)."""
    addresses = []
    level, index = 0, size
    while index & 1:
        addresses.append((level, index - 1))
        level += 1
        index >>= 1
    return addresses


def append_writes(size: int, leaf: Node, left_halves: Sequence[Node]) -> list[tuple[Address, Node]]:
    """Return the nodes to write when ``leaf`` becomes leaf number ``size``: the leaf and each
    subtree it completes, given the nodes at ``append_reads(size)``."""
    writes = [((0, size), leaf)]
    node = leaf
    for level, left in enumerate(left_halves, 1):
        node = node_combine(left, node)
        writes.append(((level, size >> level), node))
    return writes


def tree_append(store: NodeStore, size: int, entry: Mapping[str, object]) -> Node:
    """Append the entry as leaf number ``size`` of a log of ``size`` leaves; return its leaf.

    One batched read and one batched write of O(log n) nodes. The caller serializes appends to a
    log (holds its row lock) and keeps its size.
    """
    if entry.get("index") != size:
        raise ValueError(f"the entry appended to a log of {size} entries has index {size}")
    leaf = leaf_node(entry)
    reads = append_reads(size)
    store.write(append_writes(size, leaf, store.read(reads) if reads else ()))
    return leaf


# Roots and proofs: each is a list of subtree ranges [start, end), each range the fold of the
# complete subtrees that tile it (RFC 9162 subtrees start at a multiple of a power of two ≥ their
# width, so the tiles are aligned), all read in one batch.


def tree_root(store: NodeStore, size: int) -> Node:
    """Return the root (hash and total) of the first ``size`` ≥ 1 leaves of the log."""
    if size < 1:
        raise ValueError("a tree has at least one leaf")
    return _ranges_fold(store, [(0, size)])[0]


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[Node]:
    """Return the RFC 9162 §2.1.3.1 inclusion path of leaf ``index`` in the tree of ``size``."""
    if not 0 <= index < size:
        raise ValueError("the leaf index must be below the tree size")
    return _ranges_fold(store, inclusion_ranges(index, size))


def consistency_proof(store: NodeStore, old_size: int, new_size: int) -> list[Node]:
    """Return the RFC 9162 §2.1.4.1 consistency path from tree size ``old_size`` to
    ``new_size`` (empty when they are equal)."""
    if not 1 <= old_size <= new_size:
        raise ValueError("consistency needs 1 <= old size <= new size")
    return _ranges_fold(store, consistency_ranges(old_size, new_size))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose subtree hashes make PATH(index, D[0:size]), leaf upwards."""
    ranges = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_below(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose subtree hashes make PROOF(old_size, D[0:new_size])."""
    ranges = []
    start, end, old, whole = 0, new_size, old_size, True
    while old != end - start:
        split = _largest_power_below(end - start)
        if old <= split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            start += split
            old -= split
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def range_addresses(start: int, end: int) -> list[Address]:
    """Return the complete subtrees tiling leaves [start, end), widest first."""
    addresses = []
    while start < end:
        level = (end - start).bit_length() - 1
        addresses.append((level, start >> level))
        start += 1 << level
    return addresses


def _largest_power_below(width: int) -> int:
    return 1 << ((width - 1).bit_length() - 1)


def _ranges_fold(store: NodeStore, ranges: Sequence[tuple[int, int]]) -> list[Node]:
    tilings = [range_addresses(start, end) for start, end in ranges]
    unique = list(dict.fromkeys(address for tiling in tilings for address in tiling))
    nodes = dict(zip(unique, store.read(unique), strict=True))
    folded = []
    for tiling in tilings:
        node = nodes[tiling[-1]]
        for address in reversed(tiling[:-1]):
            node = node_combine(nodes[address], node)
        folded.append(node)
    return folded
