"""Checking proofs of the transparency log (RFC 9162 §2.1.3.2 and §2.1.4.2, with sums).

The verifiers need nothing but the proof: the witness script and the browser implement the same
steps on their own (scripts/verify-campaign, frontend/src/transparency/verify.ts).
"""

from __future__ import annotations

from collections.abc import Sequence

from transparency.tree import _HASH_SIZE, Node, node_combine

# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2, with sums): a path node with a hash that is not 32
# bytes or a sum that does not fit in 64 bits fails the proof.


def inclusion_verify(
    *, index: int, tree_size: int, leaf: Node, path: Sequence[Node], root: Node
) -> bool:
    """Return whether ``path`` proves ``leaf`` is leaf ``index`` of the tree with ``root``."""
    if not 0 <= index < tree_size or not _well_formed(path):
        return False
    fn, sn, node = index, tree_size - 1, leaf
    try:
        for sibling in path:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                node = node_combine(sibling, node)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                node = node_combine(node, sibling)
            fn >>= 1
            sn >>= 1
    except ValueError:
        return False
    return sn == 0 and node == root


def consistency_verify(
    *, old_size: int, new_size: int, old_root: Node, new_root: Node, path: Sequence[Node]
) -> bool:
    """Return whether ``path`` proves the tree with ``new_root`` extends the one with
    ``old_root`` (equal sizes: an empty path and equal roots)."""
    if not 1 <= old_size <= new_size or not _well_formed(path):
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    nodes = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a subtree
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = nodes[0]
    try:
        for node in nodes[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                first = node_combine(node, first)
                second = node_combine(node, second)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                second = node_combine(second, node)
            fn >>= 1
            sn >>= 1
    except ValueError:
        return False
    return sn == 0 and first == old_root and second == new_root


def _well_formed(path: Sequence[Node]) -> bool:
    return all(
        type(node.hash) is bytes and len(node.hash) == _HASH_SIZE and type(node.sum) is int
        for node in path
    )
