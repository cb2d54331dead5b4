"""CPU per event of the event pipeline, in process, against real MariaDB databases (issue 24).

Two measurements, each in a process of its own with the service's own settings:

- ``ingest``: campaign_service's WSGI application (its whole middleware stack) takes signed
  batches on ``/internal/events``, as pledge_service's and payment_service's relays send them:
  ``PLEDGE_CREATED`` batches, then the same pledges' ``PLEDGE_STATUS_CHANGED`` (to CAPTURED)
  and ``PAYMENT_CAPTURED`` batches (``lifecycle``), over ``CAMPAIGNS`` campaigns. The bodies and
  signatures are made before the clock starts: only the receiver's work is timed.
- ``relay``: pledge_service's outbox filled with N ``PLEDGE_CREATED`` rows (not timed), then
  ``relay_due_events`` (claim, envelopes, signature, POST, outcome) until it is empty. The POST
  is answered by a trivial HTTP server in another process (its CPU is not counted), which
  answers ``processed`` for every event it is sent.

Each prints this process's CPU per event (``time.process_time``), the database server's CPU per
event (from /proc, when its process is visible: noisy, the server is shared) and, with
``--profile``, the top frames of a second run under cProfile.

usage: pipeline_profile.py [--root DIR] [--tag pipe] [--events 4000] [--batch 100]
       [--linger-ms 50] [--profile] [ingest|relay|both]

``PIPELINE_CREATED_ONLY=1``: the ``PLEDGE_CREATED`` batches alone (the pledge load's events).
``--root`` runs another checkout's code (e.g. a ``git worktree`` of an older commit) with its
own databases (``careforall_<service>_<tag>``, migrated first).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
CAMPAIGNS = 50
PATH = "/internal/events"


def database_cpu() -> float:
    """Seconds of CPU of the local MariaDB server so far; 0 when it is not visible."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            if name in ("mariadbd", "mysqld"):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return 0.0


def _profiler() -> Any:
    """A cProfile profiler timing CPU, not wall time (the figures this script reports)."""
    # bench.d's own profile.py, first on the path, would shadow the module cProfile imports.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]
    import cProfile

    return cProfile.Profile(time.process_time)


def timed(work: Any, events: int, profile: bool) -> dict[str, Any]:
    db, cpu, wall = database_cpu(), time.process_time(), time.perf_counter()
    profiler = _profiler() if profile else None
    if profiler:
        profiler.enable()
    work()
    if profiler:
        profiler.disable()
    result: dict[str, Any] = {
        "events": events,
        "cpu_us": (time.process_time() - cpu) / events * 1e6,
        "db_us": (database_cpu() - db) / events * 1e6,
        "wall_us": (time.perf_counter() - wall) / events * 1e6,
    }
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        result["profile"] = out.getvalue()
    return result


# --- in campaign_service -----------------------------------------------------------------------


def _signer() -> Any:
    """sign(service, body) -> header, as the publishing service's relay signs its POST."""
    from django.conf import settings

    from careforall_common import signing

    if hasattr(signing, "sign_v2"):
        keys = Path(settings.KEYS_DIR)

        def sign_v2(service: str, body: bytes) -> str:
            key = signing.signing_key(signing.private_key_file(keys, service), service)
            return signing.sign_v2("POST", PATH, body, key=key)

        return sign_v2
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    return lambda service, body: signing.sign(body, secret=secret)


def _envelope(event_type: str, source: str, aggregate_id: int, payload: dict[str, Any]) -> Any:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "source": source,
        "aggregate_id": aggregate_id,
        "request_id": "",
        "payload": payload,
    }


def _campaigns() -> list[int]:
    from campaigns.models import Campaign

    ids = list(Campaign.objects.order_by("pk").values_list("pk", flat=True)[:CAMPAIGNS])
    for number in range(len(ids), CAMPAIGNS):
        ids.append(
            Campaign.objects.create(
                title=f"pipeline {number}", goal_amount=1_000_000, currency="usd", status="active"
            ).pk
        )
    return ids


def ingest(count: int, batch: int, profile: bool) -> dict[str, Any]:
    from django.test.client import FakePayload

    from config.wsgi import application

    sign, campaigns = _signer(), _campaigns()
    first = int(time.time() * 1000) % 10**9 * 1000

    def created(pledge_id: int) -> Any:
        payload = {
            "pledge_id": pledge_id,
            "campaign_id": campaigns[pledge_id % len(campaigns)],
            "user_id": 7,
            "donor_name": "Ada",
            "anonymous": False,
            "amount": 1_000,
            "currency": "usd",
            "status": "PENDING",
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        return _envelope("PLEDGE_CREATED", "pledge", pledge_id, payload)

    def moved(pledge_id: int) -> Any:
        payload = {
            "pledge_id": pledge_id,
            "campaign_id": campaigns[pledge_id % len(campaigns)],
            "previous_status": "PENDING",
            "new_status": "CAPTURED",
            "amount": 1_000,
            "currency": "usd",
        }
        return _envelope("PLEDGE_STATUS_CHANGED", "pledge", pledge_id, payload)

    def captured(pledge_id: int) -> Any:
        payload = {
            "payment_id": pledge_id,
            "pledge_id": pledge_id,
            "campaign_id": campaigns[pledge_id % len(campaigns)],
            "amount": 1_000,
            "currency": "usd",
            "card_brand": "visa",
            "card_last4": "4242",
            "commitment": uuid.uuid4().hex * 2,
        }
        return _envelope("PAYMENT_CAPTURED", "payment", pledge_id, payload)

    def requests_of(make: Any, source: str, start: int) -> list[tuple[bytes, str]]:
        out = []
        for offset in range(0, count, batch):
            ids = range(start + offset, start + min(offset + batch, count))
            body = json.dumps({"events": [make(i) for i in ids]}).encode()
            out.append((body, sign(source, body)))
        return out

    def post_all(prepared: list[tuple[bytes, str]]) -> None:
        for body, header in prepared:
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": PATH,
                "SCRIPT_NAME": "",
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8002",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_X_CAREFORALL_SIGNATURE": header,
                "wsgi.input": FakePayload(body),
                "wsgi.url_scheme": "http",
            }
            answer: list[str] = []
            chunks = application(environ, lambda status, _headers, *_, a=answer: a.append(status))
            data = b"".join(chunks)
            if not answer[0].startswith("200") or b'"processed"' not in data:
                raise SystemExit(f"ingest: {answer[0]} {data[:300]!r}")
            statuses = {item["status"] for item in json.loads(data)["results"]}
            if statuses != {"processed"}:
                raise SystemExit(f"ingest: {statuses} {data[:300]!r}")

    results: dict[str, Any] = {}
    runs = [("warm", False), ("timed", False)] + ([("profiled", True)] if profile else [])
    for run, profiling in runs:
        start = first + {"warm": 0, "timed": 1, "profiled": 2}[run] * 10**8
        for name, steps in (
            ("PLEDGE_CREATED", [(created, "pledge")]),
            ("STATUS_CHANGED+PAYMENT_CAPTURED", [(moved, "pledge"), (captured, "payment")]),
        )[: 1 if os.environ.get("PIPELINE_CREATED_ONLY") == "1" else 2]:
            prepared = [r for make, source in steps for r in requests_of(make, source, start)]
            outcome = timed(lambda p=prepared: post_all(p), count * len(steps), profiling)
            if run != "warm":
                results[f"{run} {name}"] = outcome
    return results


# --- in pledge_service -------------------------------------------------------------------------


class _Answer(BaseHTTPRequestHandler):
    """``processed`` for every event of a batch; HTTP/1.1, so the relay keeps its connection."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ids = [e["event_id"] for e in json.loads(body)["events"]]
        data = json.dumps({"results": [{"event_id": i, "status": "processed"} for i in ids]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args: Any) -> None:
        pass


def answer_serve(port: int) -> None:
    HTTPServer(("127.0.0.1", port), _Answer).serve_forever()


def relay(count: int, batch: int, linger_ms: int, profile: bool) -> dict[str, Any]:
    from django.conf import settings
    from django.db import transaction

    from careforall_common.outbox import relay as outbox_relay
    from careforall_common.outbox.models import OutboxEvent

    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([sys.executable, str(HERE), "answer", str(port)])  # noqa: S603
    time.sleep(0.5)
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {
            **settings.CAREFORALL["SERVICE_URLS"],
            "campaign": f"http://127.0.0.1:{port}",
        },
        "OUTBOX_BATCH_SIZE": batch,
        "OUTBOX_LINGER_MS": linger_ms,
        "OUTBOX_DRAIN_SECONDS": 600.0,
    }
    fields = {f.name for f in OutboxEvent._meta.get_fields()}

    def fill() -> None:
        OutboxEvent.objects.filter(status="pending").update(status="sent")
        first = int(time.time() * 1000) % 10**9 * 1000
        rows = []
        for pledge_id in range(first, first + count):
            row = {
                "event_id": uuid.uuid4(),
                "event_type": "PLEDGE_CREATED",
                "source": "pledge",
                "destination": "campaign",
                "aggregate_type": "pledge",
                "aggregate_id": pledge_id,
                "request_id": uuid.uuid4().hex,
                "payload": {
                    "pledge_id": pledge_id,
                    "campaign_id": 1 + pledge_id % CAMPAIGNS,
                    "user_id": 7,
                    "donor_name": "Ada",
                    "anonymous": False,
                    "amount": 1_000,
                    "currency": "usd",
                    "status": "PENDING",
                    "created_at": datetime.now(UTC).isoformat(),
                },
            }
            rows.append(OutboxEvent(**{k: v for k, v in row.items() if k in fields}))
        with transaction.atomic():
            OutboxEvent.objects.bulk_create(rows, batch_size=1000)

    results: dict[str, Any] = {}
    try:
        for run, profiling in [("warm", False), ("timed", False)] + (
            [("profiled", True)] if profile else []
        ):
            fill()
            sent: list[int] = []
            outcome = timed(
                lambda s=sent: s.append(outbox_relay.relay_due_events()), count, profiling
            )
            if sent != [count]:
                raise SystemExit(f"relay: sent {sent} of {count}")
            if run != "warm":
                results[f"{run} relay"] = outcome
    finally:
        server.terminate()
    return results


# --- driver ------------------------------------------------------------------------------------


def database_create(name: str) -> None:
    import environ
    import MySQLdb

    config = environ.Env.db_url_config(
        os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306")
    )
    conn = MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
    )
    conn.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    conn.close()


def service_run(root: Path, service: str, tag: str, args: list[str]) -> dict[str, Any]:
    directory = root / f"{service}_service"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "true",
        "DATABASE_NAME": f"careforall_{service}_{tag}",
        "PYTHONPATH": f"{root / 'common' / 'src'}:{directory}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CAREFORALL_KEYS_DIR": str(HERE.parents[2] / ".keys"),
    }
    python = str(HERE.parents[2] / ".venv" / "bin" / "python")
    database_create(env["DATABASE_NAME"])
    subprocess.run(  # noqa: S603
        [python, "manage.py", "migrate", "-v0"], cwd=directory, env=env, check=True
    )
    output = subprocess.run(  # noqa: S603
        [python, str(HERE), "worker", *args],
        cwd=directory,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(title: str, results: dict[str, Any]) -> None:
    sys.stdout.write(f"== {title}\n")
    for name, outcome in results.items():
        sys.stdout.write(
            f"{name}: {outcome['events']} events, {outcome['cpu_us']:.0f} µs CPU per event "
            f"(this process), database server {outcome['db_us']:.0f} µs, wall "
            f"{outcome['wall_us']:.0f} µs\n"
        )
    for name, outcome in results.items():
        if "profile" in outcome:
            sys.stdout.write(f"-- profile of {name}\n{outcome['profile']}\n")


def worker(args: list[str]) -> None:
    import django

    sys.path.insert(0, os.getcwd())
    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no query log, no debug cursor
    kind, count, batch, linger, profile = args[0], int(args[1]), int(args[2]), int(args[3]), args[4]
    if kind == "ingest":
        result = ingest(count, batch, profile == "1")
    else:
        result = relay(count, batch, linger, profile == "1")
    sys.stdout.write(json.dumps(result) + "\n")


def main() -> None:
    if sys.argv[1:2] == ["worker"]:
        return worker(sys.argv[2:])
    if sys.argv[1:2] == ["answer"]:
        return answer_serve(int(sys.argv[2]))
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="?", default="both", choices=["ingest", "relay", "both"])
    parser.add_argument("--root", type=Path, default=HERE.parents[2])
    parser.add_argument("--tag", default="pipe")
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--linger-ms", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    common = [str(options.events), str(options.batch), str(options.linger_ms)]
    common.append("1" if options.profile else "0")
    for what, service in (("ingest", "campaign"), ("relay", "pledge")):
        if options.what in (what, "both"):
            results = service_run(options.root, service, options.tag, [what, *common])
            report(f"{what} ({options.root}, batch {options.batch})", results)
    return None


if __name__ == "__main__":
    main()
