"""Test logs: generated entries, and an in-memory campaign log that serves the transparency API
(SPEC §3) over http.server, built with the modules, with knobs to tamper with what it serves."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transparency import note, tree


def make_entries(count: int, *, campaign_id: int = 7, seed: str = "a") -> list[dict]:
    """Captures of varied amounts, every fifth entry refunding the capture before it."""
    entries: list[dict] = []
    for index in range(count):
        salt = hashlib.sha256(f"{seed}{index}".encode()).hexdigest()
        if index % 5 == 4 and entries[-1]["kind"] == "capture":
            capture = entries[-1]
            kind, amount, refers_to = "refund", -capture["amount"], capture["index"]
            commitment = capture["commitment"]
        else:
            kind, amount, refers_to = "capture", 100 + index * 37, None
            commitment = hashlib.sha256(f"{salt}:{9000 + index}".encode()).hexdigest()
        entries.append(
            {
                "index": index,
                "campaign_id": campaign_id,
                "kind": kind,
                "amount": amount,
                "currency": "usd",
                "occurred_at": f"2025-04-01T10:{index // 60 % 60:02d}:{index % 60:02d}.000001Z",
                "commitment": commitment,
                "refers_to": refers_to,
            }
        )
    return entries


def renumbered(entries: Sequence[dict]) -> list[dict]:
    """The entries indexed from 0 again, refunds still referring to their captures."""
    new_index = {entry["index"]: i for i, entry in enumerate(entries)}
    return [
        {
            **entry,
            "index": i,
            "refers_to": None if entry["refers_to"] is None else new_index[entry["refers_to"]],
        }
        for i, entry in enumerate(entries)
    ]


class CampaignLog:
    """One campaign's log as the platform keeps it: entries, complete-subtree nodes, a key."""

    def __init__(
        self,
        entries: Sequence[dict],
        *,
        key: Ed25519PrivateKey,
        key_name: str,
        origin: str,
    ) -> None:
        self.entries: list[dict] = []
        self.store = tree.MemoryNodeStore()
        self.key, self.key_name, self.origin = key, key_name, origin
        self.extend(entries)
        self.served_entries: list[dict] | None = None  # tampering: serve these instead
        self.note: str | None = None  # tampering: serve this checkpoint instead

    def extend(self, entries: Sequence[dict]) -> None:
        for entry in entries:
            tree.tree_append(self.store, len(self.entries), entry)
            self.entries.append(entry)

    def verifier_key(self) -> str:
        return note.verifier_key_string(self.key_name, self.key.public_key())

    def checkpoint(self, *, total_change: int = 0) -> str:
        size = len(self.entries)
        root = tree.tree_root(self.store, size)
        text = note.checkpoint_text(
            origin=self.origin,
            tree_size=size,
            root_hash=root.hash,
            total=root.sum + total_change,
            currency=self.entries[0]["currency"],
        )
        return note.note_sign(text, self.key, self.key_name)

    # The API

    def respond(self, path: str, query: dict[str, int]) -> tuple[int, str, Any]:
        if path == "/api/transparency/key":
            return 200, "json", {"name": self.key_name, "key": self.verifier_key()}
        campaign_id = self.origin.rsplit("/", 1)[1]
        found = re.fullmatch(rf"/api/campaigns/{campaign_id}/transparency/(\w+)", path)
        if not found:
            return 404, "json", {"title": "Not Found"}
        size = len(self.entries)
        if found[1] == "checkpoint":
            if not self.entries:
                return 404, "json", {"title": "Not Found"}
            return 200, "text", self.note or self.checkpoint()
        start, end = query.get("start", -1), query.get("end", -1)
        if found[1] == "entries" and 0 <= start <= end <= min(size, start + 1000):
            served = self.entries if self.served_entries is None else self.served_entries
            return 200, "json", {"entries": served[start:end]}
        if found[1] == "proof" and 0 <= query["index"] < query["tree_size"] <= size:
            path_nodes = tree.inclusion_proof(self.store, query["index"], query["tree_size"])
            entry = self.entries[query["index"]]
            return (
                200,
                "json",
                {"entry": entry, "tree_size": query["tree_size"], **hexed(path_nodes)},
            )
        if found[1] == "consistency" and 1 <= query["from"] <= query["to"] <= size:
            return (
                200,
                "json",
                hexed(tree.consistency_proof(self.store, query["from"], query["to"])),
            )
        return 400, "json", {"title": "Bad Request"}


def hexed(path: Sequence[tree.Node]) -> dict[str, list[dict[str, Any]]]:
    return {"path": [{"hash": node.hash.hex(), "sum": node.sum} for node in path]}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        # requests arrive through the server as a proxy: the request line holds the whole URL
        url = urlsplit(self.path)
        query = {key: int(values[0]) for key, values in parse_qs(url.query).items()}
        status, kind, body = self.server.log.respond(url.path, query)
        data = (body if kind == "text" else json.dumps(body)).encode()
        self.send_response(status)
        content_type = "text/plain; charset=utf-8" if kind == "text" else "application/json"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
        pass


class _Server(ThreadingHTTPServer):
    log: CampaignLog


@contextmanager
def serving(log: CampaignLog) -> Iterator[_Server]:
    """Serve `log` on a free local port; point `http_proxy` at it to reach any URL's host."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.log = log
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
