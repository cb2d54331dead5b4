"""The provider's webhook, in process: CPU per request through the WSGI handler, and its profile.

Run from ``payment_service/`` with the environment of its web process (its settings, its
``STRIPE_WEBHOOK_SECRET``) against a real MariaDB database that is migrated and may be
written to (``DATABASE_NAME``): the script adds captured payments of its own and the events
it delivers, never touching other rows. Each event is signed with the webhook secret as Stripe
signs it (HMAC-SHA256 of ``"<t>.<body>"``), with Stripe's own headers, and every answer is
checked (status and ``result``), so a faster path that answers otherwise fails here.

The cases are the deliveries a payment brings in production once its request and capture have
recorded it (docs/payments.md): an event type not acted on (``charge.succeeded``, ``ignored``),
an intent event of a payment already there (``payment_intent.succeeded``, ``no_change``), and
a redelivery of an event already closed (``duplicate``). None of them asks the provider.

    python ../scripts/bench.d/webhook_profile.py [--count N] [--rounds R] [--profile FILE]

prints, per case, CPU µs per request (``time.process_time``; the median and best of the rounds,
cases interleaved in each round) and, with ``--profile``, the top frames of one more loop of
each case under cProfile (cumulative and own time), its stats written to FILE.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from typing import Any

import django

# The service's directory in place of this one, whose profile.py would hide the standard one
# from cProfile (imported in main).
sys.path[0] = os.getcwd()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.utils import timezone  # noqa: E402

from careforall_common.contracts.statuses import PaymentStatus  # noqa: E402
from payments.models import Payment  # noqa: E402

PATH = "/api/payments/webhook"
# What Stripe sends with each delivery.
STRIPE_HEADERS = {
    "HTTP_USER_AGENT": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    "HTTP_ACCEPT": "*/*; q=0.5, application/xml",
    "HTTP_CACHE_CONTROL": "no-cache",
    "HTTP_X_FORWARDED_FOR": "54.187.174.169",
    "HTTP_X_FORWARDED_PROTO": "https",
}


def signed(body: bytes) -> str:
    """``Stripe-Signature`` as Stripe computes it."""
    timestamp = int(time.time())
    digest = hmac.new(
        settings.STRIPE_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    )
    return f"t={timestamp},v1={digest.hexdigest()}"


def intent(intent_id: str, payment_id: int) -> dict[str, Any]:
    """A succeeded PaymentIntent as the provider renders it in an event."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": 2500,
        "amount_capturable": 0,
        "amount_received": 2500,
        "capture_method": "manual",
        "client_secret": f"{intent_id}_secret_bench",
        "confirmation_method": "automatic",
        "created": int(time.time()),
        "currency": "usd",
        "latest_charge": f"ch_{intent_id[3:]}",
        "livemode": False,
        "metadata": {"payment_id": str(payment_id), "pledge_id": str(payment_id)},
        "payment_method": "pm_card_visa",
        "payment_method_types": ["card"],
        "status": "succeeded",
    }


def charge(intent_id: str) -> dict[str, Any]:
    """The charge of that intent, as ``charge.succeeded`` carries it."""
    return {
        "id": f"ch_{intent_id[3:]}",
        "object": "charge",
        "amount": 2500,
        "amount_captured": 0,
        "captured": False,
        "currency": "usd",
        "paid": True,
        "payment_intent": intent_id,
        "payment_method_details": {"card": {"brand": "visa", "last4": "4242"}, "type": "card"},
        "status": "succeeded",
    }


def event(event_type: str, found: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": found},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    ).encode()


def payments_captured(count: int) -> list[Payment]:
    """``count`` captured payments of this run, each with an intent of its own."""
    run = uuid.uuid4().hex[:10]
    base = int(time.time() * 1000) % 10**12 * 1000
    Payment.objects.bulk_create(
        Payment(
            pledge_id=base + index,
            campaign_id=1,
            user_id=2,
            amount=2500,
            currency="usd",
            status=PaymentStatus.CAPTURED,
            payment_method="pm_card_visa",
            provider_payment_id=f"pi_wp{run}{index}",
            card_brand="visa",
            card_last4="4242",
            reconcile_after=timezone.now(),
        )
        for index in range(count)
    )
    return list(Payment.objects.filter(pledge_id__gte=base, pledge_id__lt=base + count))


def cases(count: int) -> dict[str, tuple[list[bytes], str]]:
    """Per case, ``count`` bodies and the result each must be answered with."""
    paid = payments_captured(count)
    ids = [(str(p.provider_payment_id), p.pk) for p in paid]
    repeated = [event("charge.succeeded", charge(i)) for i, _ in ids]
    return {
        "ignored": ([event("charge.succeeded", charge(i)) for i, _ in ids], "ignored"),
        "no_change": (
            [event("payment_intent.succeeded", intent(i, pk)) for i, pk in ids],
            "no_change",
        ),
        # Delivered once before the loops (below), then again in each of them.
        "duplicate": (repeated, "duplicate"),
    }


def environ(body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8004",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost:8080",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_REQUEST_ID": uuid.uuid4().hex,
        "HTTP_STRIPE_SIGNATURE": signed(body),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        **STRIPE_HEADERS,
    }


class Deliverer:
    """POSTs through the WSGI handler, as gunicorn calls it, and checks each answer."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.answer: dict[str, Any] = {}

    def start_response(self, status: str, headers: list[Any], exc_info: Any = None) -> None:
        self.answer = {"status": status, "headers": headers}

    def deliver(self, body: bytes) -> tuple[str, bytes]:
        response = self.app(environ(body), self.start_response)
        content = b"".join(response)
        response.close()  # type: ignore[attr-defined]
        return self.answer["status"], content

    def loop(self, bodies: list[bytes], expected: str) -> float:
        """Deliver ``bodies``; CPU µs per request. The environ is made outside the timing."""
        environs = [environ(body) for body in bodies]
        start = time.process_time()
        for env in environs:
            response = self.app(env, self.start_response)
            content = b"".join(response)
            response.close()  # type: ignore[attr-defined]
        spent = (time.process_time() - start) / len(bodies) * 1e6
        status = self.answer["status"]
        if not status.startswith("200") or json.loads(content)["result"] != expected:
            raise SystemExit(f"{expected}: answered {status} {content!r}")
        return spent


def top(stats: pstats.Stats, key: str, count: int) -> list[str]:
    """The ``count`` top frames by ``key`` ("cumulative" or "tottime"), µs per request."""
    rows = []
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, name), (_, calls, own, cumulative, _) in entries.items():
        rows.append(
            (own if key == "tottime" else cumulative, calls, f"{name} ({short(path)}:{line})")
        )
    rows.sort(reverse=True)
    return [f"{seconds:9.4f} s {calls:8d} calls  {frame}" for seconds, calls, frame in rows[:count]]


def short(path: str) -> str:
    for marker in ("site-packages/", "src/", "_service/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def out(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="write cProfile stats here and print the top frames")
    args = parser.parse_args()
    deliverer = Deliverer()
    each = cases(args.count * (args.rounds + 2))
    for body in each["duplicate"][0]:
        status, content = deliverer.deliver(body)
        if not status.startswith("200") or json.loads(content)["result"] != "ignored":
            raise SystemExit(f"first delivery: answered {status} {content!r}")
    spent: dict[str, list[float]] = {name: [] for name in each}

    def run(name: str, r: int) -> float:
        return deliverer.loop(each[name][0][r * args.count : (r + 1) * args.count], each[name][1])

    for name in each:
        run(name, 0)  # warm: imports, the first connection, cached statements
    for r in range(1, args.rounds + 1):
        for name in each:
            spent[name].append(run(name, r))
    for name, figures in spent.items():
        figure = {
            "case": name,
            "requests": args.count * args.rounds,
            "cpu_us_median": round(statistics.median(figures), 1),
            "cpu_us_best": round(min(figures), 1),
        }
        out(json.dumps(figure))
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU, as the figures above
        last = args.rounds + 1
        for name in each:
            profiler.enable()
            run(name, last)
            profiler.disable()
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(args.profile)
        requests = args.count * len(each)
        calls = stats.total_calls / requests  # type: ignore[attr-defined]
        out(
            f"cProfile (CPU time), {requests} requests ({len(each)} cases), {calls:.0f} calls each:"
        )
        for key in ("cumulative", "tottime"):
            out(f"-- top by {key}")
            out("\n".join(top(stats, key, 25)))


if __name__ == "__main__":
    main()
