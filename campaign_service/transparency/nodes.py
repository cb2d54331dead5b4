"""``NodeStore`` over ``LogNode`` rows: one campaign's complete subtrees."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from transparency.models import LogNode
from transparency.tree import Address, Node


class DatabaseNodeStore:
    """The nodes of one campaign's log. ``read`` is one query; ``write`` one bulk insert (the
    unique address makes a second write of a node an error: the log is append-only)."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id

    def read(self, addresses: Sequence[Address]) -> list[Node]:
        if not addresses:
            return []
        wanted = Q()
        for level, index in addresses:
            wanted |= Q(level=level, index=index)
        rows = LogNode.objects.filter(wanted, campaign_id=self.campaign_id).values_list(
            "level", "index", "hash", "sum"
        )
        found = {(level, index): Node(bytes(hash_), sum_) for level, index, hash_, sum_ in rows}
        return [found[address] for address in addresses]  # KeyError: never written

    def write(self, nodes: Sequence[tuple[Address, Node]]) -> None:
        LogNode.objects.bulk_create(
            LogNode(
                campaign_id=self.campaign_id,
                level=level,
                index=index,
                hash=node.hash,
                sum=node.sum,
            )
            for (level, index), node in nodes
        )


class BufferedNodeStore:
    """One log's nodes for a batch of appends: those read up front (``known``) and those the
    appends write, kept in memory and inserted by the caller in one statement."""

    def __init__(self, known: dict[Address, Node]) -> None:
        self.known = known
        self.written: dict[Address, Node] = {}

    def read(self, addresses: Sequence[Address]) -> list[Node]:
        return [self.written.get(address) or self.known[address] for address in addresses]

    def write(self, nodes: Sequence[tuple[Address, Node]]) -> None:
        for address, node in nodes:
            if address in self.written or address in self.known:
                raise ValueError(f"node {address} is already written")
            self.written[address] = node
