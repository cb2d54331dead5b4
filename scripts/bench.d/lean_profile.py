"""CPU per create, in process: N requests of one kind through a service's WSGI application.

Run from the service's directory with the project's venv::

    cd pledge_service && ../.venv/bin/python ../scripts/bench.d/lean_profile.py pledge-donor -n 2000
    cd payment_service && ../.venv/bin/python ../scripts/bench.d/lean_profile.py payment -n 500

Kinds: ``pledge-donor`` (one signed-in donor's token for every request, as ``pledge-create.lua``
sends it), ``pledge-donor-fresh`` (a token of its own per request: RS256 on every one),
``pledge-guest``, ``payment`` (a signed-in donor pays a pledge of their own, server-confirmed
with ``pm_card_visa``). Refunds are not a kind yet.

Every request goes through the WSGI handler exactly as gunicorn calls it (middleware, routing,
the view, the response's ``close()``), against a real MariaDB database of its own
(``careforall_<service>_lean_bench``, created and migrated when missing) and a Redis database of
its own for the relay's wake-ups. ``DJANGO_DEBUG`` is false unless ``--debug``: production
settings, the development secrets allowed in this process only. What a create reads from other
services is satisfied locally: pledge_service's campaign facts are rows of its table (and
``CAMPAIGN_FACTS_MAX_AGE`` is a day, so they are never asked for again); payment_service's
pledge facts and the provider are served in process (see ``payment_peers``).

Prints, per kind: CPU µs per request (``time.process_time``: every thread of this process,
the relay's waker included), wall µs, statements per request, and with ``--profile`` the top
frames of cProfile by cumulative and by own time.
"""

from __future__ import annotations

import os
import sys

# This directory holds a ``profile.py`` of its own, which would shadow the one cProfile needs.
sys.path[:] = [entry for entry in sys.path if not entry.endswith("bench.d")]

import argparse  # noqa: E402
import atexit  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

SERVICES = {"pledge": "pledge_service", "payment": "payment_service"}
KINDS = {
    "pledge-donor": "pledge",
    "pledge-donor-fresh": "pledge",
    "pledge-guest": "pledge",
    "payment": "payment",
}


def configure(service: str, *, debug: bool) -> None:
    """The environment of a production process of ``service``, with databases of its own."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "true" if debug else "false"
    os.environ.setdefault("DATABASE_NAME", f"careforall_{service}_lean_bench")
    redis_url = os.environ.setdefault("LEAN_REDIS_URL", "redis://127.0.0.1:6379/13")
    os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ.setdefault("CAMPAIGN_FACTS_MAX_AGE", "86400")
    if not debug:  # a production process refuses the development secrets
        os.environ.setdefault("DJANGO_SECRET_KEY", uuid.uuid4().hex * 2)
        os.environ.setdefault("INTERNAL_EVENT_SECRET", uuid.uuid4().hex * 2)
    if service == "payment":
        os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_careforall")
        os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_" + uuid.uuid4().hex)
        os.environ.setdefault("CAREFORALL_SANDBOX", "true")  # production settings, the sandbox
        os.environ.setdefault("STRIPE_API_BASE", "http://127.0.0.1:9")  # set once it runs
        # The card-testing gate runs in full (limits on), with room for one donor's N payments.
        os.environ.setdefault("PAYMENT_LIMIT_ACCOUNT", "1000000/600")
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()


def database_ready() -> None:
    """Create and migrate the bench database when it is missing."""
    import MySQLdb
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    server = MySQLdb.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 3306),
        user=db["USER"],
        password=db["PASSWORD"] or "",
    )
    server.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` "
        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    server.close()
    call_command("migrate", verbosity=0, skip_checks=True)


def environ_of(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


Request = tuple[str, str, bytes, dict[str, str], int]  # method, path, body, headers, status


def call(app: Any, request: Request) -> bytes:
    method, path, body, headers, expected = request
    seen: list[str] = []
    result = app(
        environ_of(method, path, body, headers), lambda status, _h, *_: seen.append(status)
    )
    try:
        content = b"".join(result)
    finally:
        result.close()
    if int(seen[0].split()[0]) != expected:
        raise SystemExit(f"{method} {path}: {seen[0]} (expected {expected}): {content[:400]!r}")
    return content


def token(user_id: int, role: str = "donor") -> str:
    from careforall_common.testing.tokens import access_token

    return access_token(
        user_id=user_id, role=role, lifetime=__import__("datetime").timedelta(hours=2)
    )


def pledge_requests(kind: str, count: int) -> Iterator[Request]:
    """Pledges to campaign 7 (active, usd: a facts row), each with a key of its own."""
    from django.utils import timezone

    from pledges.models import CampaignFacts

    CampaignFacts.objects.update_or_create(
        campaign_id=7,
        defaults={"status": "active", "currency": "usd", "refreshed_at": timezone.now()},
    )
    run = uuid.uuid4().hex[:8]
    shared = token(2)
    for n in range(count):
        headers = {"Idempotency-Key": f"lean-{run}-{n}"}
        if kind == "pledge-guest":
            body = (
                b'{"campaign_id": 7, "amount": 2500, "donor_name": "Rahim Uddin", '
                b'"donor_email": "rahim@example.org"}'
            )
        else:
            headers["Authorization"] = "Bearer " + (token(2) if kind.endswith("fresh") else shared)
            body = b'{"campaign_id": 7, "amount": 2500}'
        yield ("POST", "/api/pledges", body, headers, 201)


_pledges = iter(range(10**9, 2 * 10**9))  # pledge ids of this run's payments


def payment_requests(kind: str, count: int) -> list[Request]:
    """Server-confirmed payments (``pm_card_visa``) by donor 2, of pledges the fake
    pledge_service knows, each with a key of its own."""
    fake = _peers["pledge"]
    shared = token(2)
    run = uuid.uuid4().hex[:8]
    requests: list[Request] = []
    for n in range(count):
        pledge_id = fake.add(next(_pledges) + int(time.time()) % 10**6 * 1000)
        body = f'{{"pledge_id": {pledge_id}, "payment_method": "pm_card_visa"}}'.encode()
        headers = {"Idempotency-Key": f"lean-{run}-{n}", "Authorization": f"Bearer {shared}"}
        requests.append(("POST", "/api/payments", body, headers, 201))
    return requests


_peers: dict[str, Any] = {}


def payment_peers() -> None:
    """The stripe_sandbox in a process of its own (as scripts/up runs it; its CPU is not this
    process's) and a fake pledge_service in a thread here (signed calls, checked as
    pledge_service checks them: its CPU is counted in the process figure, not the thread's)."""
    import socket
    import subprocess

    from django.conf import settings

    from careforall_common.testing.peers import peer_served
    from payments.tests.fakes import FakePledgeService

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "stripe_sandbox"],
        cwd=os.path.dirname(os.getcwd()),
        env={
            **os.environ,
            "SANDBOX_PORT": str(port),
            "SANDBOX_WEBHOOK_URL": "",
            "SANDBOX_LOG": "0",
        },
        stdout=subprocess.DEVNULL,
    )
    _peers["sandbox"] = sandbox
    atexit.register(sandbox.terminate)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or sandbox.poll() is not None:
                raise SystemExit("stripe_sandbox did not start") from None
            time.sleep(0.05)
    # Ed25519 (v2) signatures, checked with the public keys as pledge_service checks them.
    fake = FakePledgeService(secret=None, verify_keys=settings.KEYS_DIR)
    served = peer_served(settings, "pledge", fake)
    served.__enter__()
    atexit.register(served.__exit__, None, None, None)  # before the interpreter stops its thread
    _peers["pledge"], _peers["served"] = fake, served  # kept: collected, it would stop


def prepared(kind: str, count: int) -> list[Request]:
    if KINDS[kind] == "pledge":
        return list(pledge_requests(kind, count))
    return payment_requests(kind, count)


def counted(run: Callable[[], None]) -> int:
    from django.db import connection

    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        run()
    return statements


def measure(app: Any, requests: list[Request], *, warm: int) -> dict[str, float]:
    for request in requests[:warm]:
        call(app, request)
    timed = requests[warm:]
    statements = counted(lambda: call(app, timed[0]))
    timed = timed[1:]
    cpu, wall, thread = time.process_time(), time.perf_counter(), time.thread_time()
    for request in timed:
        call(app, request)
    return {
        "requests": len(timed),
        "cpu_us": (time.process_time() - cpu) / len(timed) * 1e6,
        "thread_us": (time.thread_time() - thread) / len(timed) * 1e6,
        "wall_us": (time.perf_counter() - wall) / len(timed) * 1e6,
        "statements": statements,
    }


def profiled(app: Any, requests: list[Request], top: int) -> str:
    profile = cProfile.Profile(time.thread_time)  # CPU of the request thread, not waits
    profile.enable()
    for request in requests:
        call(app, request)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("-n", type=int, default=1000, help="timed requests (default 1000)")
    parser.add_argument("--warm", type=int, default=50, help="untimed requests first")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; each is reported")
    parser.add_argument("--debug", action="store_true", help="DJANGO_DEBUG=true")
    parser.add_argument("--profile", type=int, metavar="TOP", default=0, help="cProfile top list")
    args = parser.parse_args()
    service = KINDS[args.kind]
    if os.path.basename(os.getcwd()) != SERVICES[service]:
        raise SystemExit(f"run from {SERVICES[service]}/")
    configure(service, debug=args.debug)
    database_ready()
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    if service == "payment":
        payment_peers()
    say(f"{args.kind}: DJANGO_DEBUG={os.environ['DJANGO_DEBUG']}")
    for round_ in range(args.rounds):
        figures = measure(app, prepared(args.kind, args.warm + 1 + args.n), warm=args.warm)
        say(
            f"round {round_ + 1}: {figures['requests']} requests, "
            f"CPU {figures['cpu_us']:.0f} µs/request (request thread "
            f"{figures['thread_us']:.0f}), wall {figures['wall_us']:.0f} µs/request, "
            f"{figures['statements']} statements"
        )
    if args.profile:
        say(profiled(app, prepared(args.kind, min(args.n, 1000)), args.profile))


if __name__ == "__main__":
    main()
