"""Traces: a request's event carries its trace through the outbox and the relay to the consumer.

An in-memory exporter stands for the collector. The producer is this project's ``POST /things``
(a state change and its event, as a pledge create); the consumer its own ``/internal/events``
on the live server.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from careforall_common import tracing
from careforall_common.contracts.events import Envelope
from careforall_common.logging import ContextFilter
from careforall_common.outbox import relay
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.request_id import current_request_id

pytestmark = pytest.mark.django_db(transaction=True)

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))


@pytest.fixture
def traced(live_server: Any, settings: Any) -> Iterator[InMemorySpanExporter]:
    """Tracing on, with the test events routed to the live server."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": {"sink": live_server.url}}
    exporter.clear()
    tracing.tracing_start(provider)
    yield exporter
    tracing.tracing_stop()
    for instrumentor in (DjangoInstrumentor(), RequestsInstrumentor()):
        instrumentor.uninstrument()


class Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(ContextFilter("common"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def consumer_log() -> Iterator[Remember]:
    handler = Remember()
    log = logging.getLogger("tests.handlers")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    yield handler
    log.removeHandler(handler)
    log.setLevel(level)


def test_a_request_its_delivery_and_its_application_are_one_trace(
    traced: InMemorySpanExporter, consumer_log: Remember
) -> None:
    response = Client().post("/things", headers={"X-Request-Id": "donation-42"})
    assert response.status_code == 201
    row = OutboxEvent.objects.get()

    assert relay.relay_due_events() == 1

    assert OutboxEvent.objects.get().status == OutboxStatus.SENT
    spans = traced.get_finished_spans()
    request = next(s for s in spans if s.kind == SpanKind.SERVER and s.name == "POST things")
    delivery = next(s for s in spans if s.name == "outbox deliver sink")
    post = next(s for s in spans if s.kind == SpanKind.CLIENT and s.name == "POST")
    applied = next(s for s in spans if s.name == "event THING_HAPPENED apply")
    trace_id = request.context.trace_id
    assert {s.context.trace_id for s in (request, delivery, post, applied)} == {trace_id}
    # The row holds the request's context; delivery and application are its children.
    assert row.traceparent is not None
    assert row.traceparent[:-3] == f"00-{trace_id:032x}-{request.context.span_id:016x}"
    assert delivery.parent is not None
    assert delivery.parent.span_id == request.context.span_id
    assert post.parent is not None
    assert post.parent.span_id == delivery.context.span_id
    assert applied.parent is not None
    assert applied.parent.span_id == request.context.span_id
    # Every line the consumer logs while applying carries the request id of the event.
    [line] = [r for r in consumer_log.records if r.getMessage() == "thing 1 applied"]
    assert line.request_id == "donation-42"  # type: ignore[attr-defined]


def test_with_tracing_off_no_context_is_stored_and_the_request_id_still_follows(
    live_server: Any, settings: Any, consumer_log: Remember
) -> None:
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": {"sink": live_server.url}}
    Client().post("/things", headers={"X-Request-Id": "donation-43"})

    assert relay.relay_due_events() == 1

    row = OutboxEvent.objects.get()
    assert row.traceparent is None
    assert "traceparent" not in row.envelope()
    [line] = [r for r in consumer_log.records if r.getMessage() == "thing 1 applied"]
    assert line.request_id == "donation-43"  # type: ignore[attr-defined]


def test_tracing_is_off_unless_an_exporter_is_named(monkeypatch: Any) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert not tracing.tracing_wanted()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert not tracing.tracing_wanted()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert tracing.tracing_wanted()
    monkeypatch.delenv("OTEL_TRACES_EXPORTER")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert tracing.tracing_wanted()


def test_with_tracing_off_opentelemetry_is_never_imported() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import django, os, sys; django.setup();"
        "from careforall_common.outbox import relay; from careforall_common.inbox import apis;"
        "sys.exit(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER")
    }
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # noqa: S603


def _envelope(request_id: str) -> Envelope:
    return Envelope(
        event_id=str(uuid.uuid4()),
        event_type="THING_HAPPENED",
        event_version=1,
        occurred_at=timezone.now(),
        source="common",
        aggregate_id=1,
        request_id=request_id,
        payload={},
    )


def test_a_batch_of_several_requests_logs_every_id_and_writes_none(
    consumer_log: Remember,
) -> None:
    log = logging.getLogger("tests.handlers")
    with tracing.event_context([_envelope("donation-1"), _envelope("donation-2")]):
        log.info("batch applied")
        assert current_request_id.get() == ""  # what an event written here would carry
    with tracing.event_context([_envelope("donation-3"), _envelope("donation-3")]):
        log.info("one request's batch applied")
        assert current_request_id.get() == "donation-3"
    log.info("after")

    ids = {r.getMessage(): r.request_id for r in consumer_log.records}  # type: ignore[attr-defined]
    assert ids == {
        "batch applied": "donation-1,donation-2",
        "one request's batch applied": "donation-3",
        "after": "",
    }


def test_console_spans_go_to_a_json_lines_file_per_process(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup();"
        "from opentelemetry import trace;"
        "tracer = trace.get_tracer('test');"
        "span = tracer.start_span('a span'); span.end();"
        "trace.get_tracer_provider().shutdown()"
    )
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "console",
        "CAREFORALL_TRACES_DIR": str(tmp_path),
        "OTEL_SERVICE_NAME": "careforall-test",
    }
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # noqa: S603

    [path] = tmp_path.glob("careforall-test-*.jsonl")
    [span] = [json.loads(line) for line in path.read_text().splitlines()]
    assert span["name"] == "a span"
    assert span["resource"]["attributes"]["service.name"] == "careforall-test"
    assert span["context"]["trace_id"].startswith("0x")


def test_a_request_span_never_holds_its_query_string(traced: InMemorySpanExporter) -> None:
    response = Client().get("/api/health/common?receipt_token=guest-secret-123&page_size=5")
    assert response.status_code == 200

    [span] = [s for s in traced.get_finished_spans() if s.kind == SpanKind.SERVER]
    attributes = dict(span.attributes or {})
    assert "guest-secret-123" not in repr(attributes)
    assert attributes.get("http.target", "/api/health/common") == "/api/health/common"
    assert str(attributes.get("http.url", "")).endswith("/api/health/common")


def test_otlp_spans_reach_the_collector_named_by_the_standard_variable() -> None:
    """What compose's services do: OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces."""
    import os
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = (
        "import django; django.setup();"
        "from opentelemetry import trace;"
        "span = trace.get_tracer('test').start_span('a span'); span.end();"
        "trace.get_tracer_provider().shutdown()"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{server.server_port}"
    try:
        subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)  # noqa: S603
    finally:
        server.shutdown()

    [(path, content_type, body)] = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    names = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert names["service.name"] == "careforall-common"
    assert [s.name for s in resource_spans.scope_spans[0].spans] == ["a span"]


def test_internal_calls_carry_the_trace_context_and_never_baggage(
    traced: InMemorySpanExporter,
) -> None:
    """Issue 20, finding 9: the propagator is W3C trace context alone. A request's baggage is not
    read, and none set in the process rides along on an internal call (requests instrumented)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import requests
    from opentelemetry import baggage, context, propagate

    received: list[dict[str, str]] = []

    class Peer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    incoming = propagate.extract({"traceparent": traceparent, "baggage": "user.id=42"})
    assert baggage.get_all(incoming) == {}
    server = HTTPServer(("127.0.0.1", 0), Peer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    token = context.attach(baggage.set_baggage("session", "secret", context=incoming))
    try:
        requests.get(f"http://127.0.0.1:{server.server_port}/internal/x", timeout=5)
    finally:
        context.detach(token)
        server.shutdown()
        server.server_close()

    [headers] = received
    assert "baggage" not in headers
    assert headers["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
