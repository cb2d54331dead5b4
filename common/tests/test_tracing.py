"""Traces: a request's event carries its trace through the outbox and the relay to the consumer.

An in-memory exporter stands for the collector. The producer is this project's ``POST /things``
(a state change and its event, as a pledge create); the consumer its own ``/internal/events``
on the live server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from careforall_common import tracing
from careforall_common.logging import ContextFilter
from careforall_common.outbox import relay
from careforall_common.outbox.models import OutboxEvent, OutboxStatus

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
