"""Events, and their webhook deliveries: signed like Stripe, retried until a 2xx, with chaos.

One scheduler thread hands due deliveries to a small pool of sender threads, so an event that
keeps failing (or a receiver that hangs until the timeout) never holds the others back. Each
copy of an event is its own delivery with its own retries and backoff.
"""

from __future__ import annotations

import heapq
import hmac
import http.client
import itertools
import json
import secrets
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

from .clock import Clock
from .jsonlog import JsonLog
from .objects import new_id
from .payments import RequestRef
from .settings import Chaos

_random = secrets.SystemRandom()
_FINISHED = ("delivered", "dropped")


@dataclass(slots=True, eq=False)
class Attempt:
    at: float
    outcome: str  # delivered | failed (non-2xx) | error (no answer) | dropped (chaos)
    http_status: int | None
    ms: float
    detail: str | None = None


@dataclass(slots=True, eq=False)
class Delivery:
    event: StoredEvent
    copy: int
    generation: int
    status: str = "pending"  # pending | in_flight | delivered | dropped
    due: float = 0.0  # time.monotonic()
    drops_left: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    hurry: bool = False  # a flush arrived while in flight: retry at once if this attempt fails

    def as_json(self) -> dict[str, Any]:
        pending = self.status == "pending"
        return {
            "copy": self.copy,
            "status": self.status,
            "next_attempt_at": time.time() + max(self.due - time.monotonic(), 0)
            if pending
            else None,
            "attempts": [
                {
                    "at": a.at,
                    "outcome": a.outcome,
                    "http_status": a.http_status,
                    "ms": a.ms,
                    "detail": a.detail,
                }
                for a in self.attempts
            ],
        }


@dataclass(slots=True, eq=False)
class StoredEvent:
    id: str
    type: str
    created: int
    object_id: str
    request: RequestRef
    payload: bytes
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return all(d.status in _FINISHED for d in self.deliveries)


class Webhooks:
    def __init__(
        self,
        *,
        secret: str,
        api_version: str,
        timeout_s: float,
        concurrency: int,
        retention: int,
        chaos: Callable[[], Chaos],
        log: JsonLog,
        clock: Clock,
    ) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self._api_version = api_version
        self._timeout_s = timeout_s
        self._retention = retention
        self._chaos = chaos
        self._log = log
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._sequence = 0
        self._generation = 0
        self._events: OrderedDict[str, StoredEvent] = OrderedDict()
        self._unfinished: set[Delivery] = set()
        self._counts = dict.fromkeys(_COUNTERS, 0)
        self._stopping = False
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="sandbox-webhook")
        self._local = threading.local()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def reset(self) -> None:
        with self._cond:
            self._generation += 1
            self._heap.clear()
            self._events.clear()
            self._unfinished.clear()
            self._counts = dict.fromkeys(_COUNTERS, 0)

    # --- Events ------------------------------------------------------------------------------

    def publish(self, event_type: str, obj: dict[str, Any], request: RequestRef) -> None:
        """Record an event with a snapshot of `obj`, and schedule its deliveries."""
        chaos = self._chaos()
        delivered = chaos.delivers(event_type)
        body: dict[str, Any] = {
            "id": new_id("evt_3"),
            "object": "event",
            "api_version": self._api_version,
            "created": self._clock.now(),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1 if delivered else 0,
            # An empty id: no API request caused it (the bank opened a dispute), null as on Stripe.
            "request": {"id": request.id or None, "idempotency_key": request.idempotency_key},
            "type": event_type,
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        event = StoredEvent(body["id"], event_type, body["created"], obj["id"], request, payload)
        with self._cond:
            self._counts["events"] += 1
            if delivered and chaos.drops_forever(event_type):
                event.deliveries.append(Delivery(event, 0, self._generation, status="dropped"))
                self._counts["dropped_forever"] += 1
            elif delivered:
                now = time.monotonic()
                for copy in range(1 + chaos.duplicate):
                    delay = chaos.delay_ms / 1000
                    if chaos.reorder:
                        delay += _random.uniform(0, chaos.reorder_window_ms / 1000)
                    delivery = Delivery(event, copy, self._generation, drops_left=chaos.drop_first)
                    event.deliveries.append(delivery)
                    self._unfinished.add(delivery)
                    self._schedule(delivery, now + delay)
            self._events[event.id] = event
            self._evict()

    def event_get(self, event_id: str) -> dict[str, Any] | None:
        with self._cond:
            event = self._events.get(event_id)
            if event is None:
                return None
            pending = 0 if event.finished else 1
        body: dict[str, Any] = json.loads(event.payload)
        body["pending_webhooks"] = pending if body["pending_webhooks"] else 0
        return body

    def events_list(
        self, *, event_type: str | None, object_id: str | None, limit: int, payload: bool
    ) -> list[dict[str, Any]]:
        with self._cond:
            chosen = [
                e
                for e in self._events.values()
                if (event_type is None or e.type == event_type)
                and (object_id is None or e.object_id == object_id)
            ][-limit:]
            return [
                {
                    "id": e.id,
                    "type": e.type,
                    "created": e.created,
                    "object_id": e.object_id,
                    "request": {
                        "id": e.request.id or None,
                        "idempotency_key": e.request.idempotency_key,
                    },
                    "deliveries": [d.as_json() for d in e.deliveries],
                    **({"payload": json.loads(e.payload)} if payload else {}),
                }
                for e in chosen
            ]

    def flush(self, wait_s: float) -> dict[str, int]:
        """Make every pending delivery due now; wait up to `wait_s` for none to be left."""
        deadline = time.monotonic() + wait_s
        with self._cond:
            now = time.monotonic()
            for delivery in self._unfinished:
                if delivery.status == "pending":
                    self._schedule(delivery, now)
                else:
                    delivery.hurry = True
            while self._unfinished and time.monotonic() < deadline:
                self._cond.wait(min(deadline - time.monotonic(), 0.05))
            return {"unfinished": len(self._unfinished)}

    def stats(self) -> dict[str, int]:
        with self._cond:
            in_flight = sum(1 for d in self._unfinished if d.status == "in_flight")
            return {
                **self._counts,
                "events_retained": len(self._events),
                "pending": len(self._unfinished) - in_flight,
                "in_flight": in_flight,
            }

    # --- Delivery ----------------------------------------------------------------------------

    def _schedule(self, delivery: Delivery, due: float) -> None:
        """Caller holds the condition's lock."""
        delivery.due = due
        self._sequence += 1
        heapq.heappush(self._heap, (due, self._sequence, delivery))
        self._cond.notify_all()

    def _evict(self) -> None:
        """Forget the oldest finished events beyond the retention; caller holds the lock."""
        excess = len(self._events) - self._retention
        if excess <= 0:
            return
        oldest = itertools.islice(self._events.values(), 64)
        for event_id in [e.id for e in oldest if e.finished][:excess]:
            del self._events[event_id]

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    if wait is not None and wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopping:
                    return
                due, _, delivery = heapq.heappop(self._heap)
                if delivery.status != "pending" or delivery.due != due:
                    continue  # superseded by a flush, or forgotten by a reset
                delivery.status = "in_flight"
            self._pool.submit(self._attempt, delivery)

    def _attempt(self, delivery: Delivery) -> None:
        if delivery.generation != self._generation:
            return  # forgotten by a reset while it waited for a sender thread
        chaos = self._chaos()
        started = time.monotonic()
        attempt = Attempt(time.time(), "dropped", None, 0.0, "lost on the way (drop_first)")
        if delivery.drops_left > 0:
            delivery.drops_left -= 1
        elif not chaos.webhook_url:
            attempt.outcome, attempt.detail = "error", "no webhook_url configured"
        else:
            try:
                status, detail = self._post(chaos.webhook_url, delivery.event.payload)
                attempt.outcome = "delivered" if 200 <= status < 300 else "failed"
                attempt.http_status, attempt.detail = status, detail
            except (OSError, http.client.HTTPException) as exc:
                attempt.outcome, attempt.detail = "error", f"{type(exc).__name__}: {exc}"
        attempt.ms = round((time.monotonic() - started) * 1000, 2)
        self._record(delivery, attempt, chaos)

    def _record(self, delivery: Delivery, attempt: Attempt, chaos: Chaos) -> None:
        with self._cond:
            if delivery.generation != self._generation:
                return
            delivery.attempts.append(attempt)
            self._counts["attempts"] += 1
            if attempt.outcome == "delivered":
                delivery.status = "delivered"
                self._unfinished.discard(delivery)
                self._counts["delivered"] += 1
                self._cond.notify_all()
            else:
                self._counts[
                    "dropped_attempts" if attempt.outcome == "dropped" else "failures"
                ] += 1
                base = chaos.retry_base_ms * 2 ** min(len(delivery.attempts) - 1, 30)
                backoff = min(chaos.retry_cap_ms, base) / 1000 * _random.uniform(0.5, 1.0)
                if delivery.hurry:
                    backoff, delivery.hurry = 0.0, False
                delivery.status = "pending"
                self._schedule(delivery, time.monotonic() + backoff)
        event = delivery.event
        self._log(
            "webhook",
            event=event.id,
            type=event.type,
            copy=delivery.copy,
            attempt=len(delivery.attempts),
            outcome=attempt.outcome,
            http_status=attempt.http_status,
            ms=attempt.ms,
        )

    def _post(self, url: str, payload: bytes) -> tuple[int, str | None]:
        """POST one signed delivery; return the status and the start of the answer.

        Signed with the real time, not the sandbox's clock: the receiver checks it against its own.
        """
        timestamp = int(time.time())
        signature = hmac.new(self._secret, f"{timestamp}.".encode() + payload, sha256).hexdigest()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
            "Stripe-Signature": f"t={timestamp},v1={signature}",
        }
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for fresh in (False, True):
            connection, reused = self._connection(parts.scheme, parts.netloc, fresh)
            try:
                connection.request("POST", target, body=payload, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                connection.close()
                if reused and not fresh:
                    continue  # the receiver closed an idle keep-alive connection: reconnect once
                raise
            except (OSError, http.client.HTTPException):
                connection.close()
                raise
            if response.will_close:
                connection.close()
            return response.status, answer[:200].decode("utf-8", "replace") or None
        raise http.client.HTTPException("unreachable")

    def _connection(
        self, scheme: str, netloc: str, fresh: bool
    ) -> tuple[http.client.HTTPConnection, bool]:
        cache: dict[tuple[str, str], http.client.HTTPConnection]
        cache = self._local.__dict__.setdefault("connections", {})
        key = (scheme, netloc)
        connection = cache.get(key)
        if connection is not None and not fresh and connection.sock is not None:
            return connection, True
        if connection is not None:
            connection.close()
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                netloc, timeout=self._timeout_s, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self._timeout_s)
        cache[key] = connection
        return connection, False


_COUNTERS = (
    "events",
    "attempts",
    "delivered",
    "failures",
    "dropped_attempts",
    "dropped_forever",
)
