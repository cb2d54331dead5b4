"""OpenTelemetry traces: one donation, one trace, across the services and the outbox.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_TRACES_EXPORTER`` (not ``none``) is set: then
``tracing_setup`` (from the shared app's ``ready``) instruments Django, requests, Celery and
mysqlclient, and exports with the standard ``OTEL_*`` variables (``otlp`` over HTTP, or
``console``; ``OTEL_BSP_*`` tune the batching). With ``console`` and ``CAREFORALL_TRACES_DIR``
set, each process appends its spans to ``<dir>/<service name>-<pid>.jsonl``, one JSON object a
line (the end-to-end tests read them). When off, nothing of OpenTelemetry is imported and the
helpers below cost a flag test.

The trail through the outbox: ``outbox_write`` stores the W3C ``traceparent`` of the request's
span on each row (``current_traceparent``); the relay delivers each group of rows under a span
whose parent is that context (``delivery_span``), and requests carries it to the consumer in its
``traceparent`` header; the consumer applies each event under a span whose parent is the event's
own ``traceparent``, with the event's request id bound for every log line (``event_context``).

Only the W3C ``traceparent`` (and ``tracestate``) travel between processes: never ``baggage``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from careforall_common.request_id import current_log_request_id, current_request_id

if TYPE_CHECKING:
    from careforall_common.events import Envelope
    from careforall_common.outbox.models import OutboxEvent

logger = logging.getLogger(__name__)

_tracer: Any = None  # set when tracing is on


def tracing_wanted() -> bool:
    """Whether the environment asks for traces (the standard variables)."""
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(exporter or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def tracing_setup(service: str) -> bool:
    """Start tracing in this process if the environment asks for it; return whether it is on."""
    if _tracer is not None or not tracing_wanted():
        return _tracer is not None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    name = os.environ.get("OTEL_SERVICE_NAME") or f"careforall-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    exporter: SpanExporter
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "console":
        directory = os.environ.get("CAREFORALL_TRACES_DIR")
        exporter = _json_lines_exporter(directory, name) if directory else ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracing_start(provider)
    return True


def _json_lines_exporter(directory: str, name: str) -> Any:
    """Spans appended to a file of this process (its pid at export time: forks get their own)."""
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class JsonLinesExporter(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, f"{name}-{os.getpid()}.jsonl")
            with open(path, "a", encoding="utf-8") as out:
                out.write("".join(span.to_json(indent=None) + "\n" for span in spans))
            return SpanExportResult.SUCCESS

    return JsonLinesExporter()


def tracing_start(provider: Any, *, instrument: bool = True) -> None:
    """Trace with ``provider`` (tests pass one with an in-memory exporter)."""
    global _tracer
    from opentelemetry import trace
    from opentelemetry.propagate import set_global_textmap
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    # W3C trace context only, whatever OTEL_PROPAGATORS says: the default adds W3C baggage,
    # which would carry whatever a caller put there into every internal call and task, and read
    # it from every request (issue 20, finding 9). The gateway keeps clients' baggage out too.
    set_global_textmap(TraceContextTextMapPropagator())
    trace.set_tracer_provider(provider)
    _tracer = provider.get_tracer("careforall")
    if instrument:
        _instrument(provider)


def tracing_stop() -> None:
    """Stop making spans here (tests); the instrumentations are left as they are."""
    global _tracer
    _tracer = None


def _instrument(provider: Any) -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.mysqlclient import MySQLClientInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    for instrumentor, options in (
        (DjangoInstrumentor(), {"request_hook": _without_query}),
        (RequestsInstrumentor(), {}),
        (CeleryInstrumentor(), {}),  # type: ignore[no-untyped-call]
        (MySQLClientInstrumentor(), {}),
    ):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider, **options)


# Where the Django instrumentation writes the request's URL (old and new semantic conventions).
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")


def _without_query(span: Any, request: Any) -> None:
    """Keep a request's query string out of its span: it may carry a guest's receipt token
    (``?receipt_token=``, SPEC §3), which no trace backend should hold, as no access log does."""
    if not request.META.get("QUERY_STRING") or not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, or None (tracing off, or no span)."""
    if _tracer is None:
        return None
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def _context_of(traceparent: str | None) -> Any:
    """The context ``traceparent`` names; None (the current one) when there is none."""
    if not traceparent:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract({"traceparent": traceparent})


def _links(traceparents: Sequence[str | None]) -> list[Any]:
    from opentelemetry import trace

    links = []
    for traceparent in traceparents:
        if not traceparent:
            continue
        context = trace.get_current_span(_context_of(traceparent)).get_span_context()
        if context.is_valid:
            links.append(trace.Link(context))
    return links


@contextmanager
def delivery_span(destination: str, rows: Sequence[OutboxEvent]) -> Iterator[None]:
    """The relay's delivery of ``rows`` to ``destination``, in the trace of the first row.

    A batch mixes events of many requests: the span is a child of the first row's context and
    links every row's, so each donation's trace shows the delivery that carried it.
    """
    if _tracer is None or not rows:
        yield
        return
    parents = [row.traceparent for row in rows]
    with _tracer.start_as_current_span(
        f"outbox deliver {destination}",
        context=_context_of(parents[0]),
        links=_links(parents[1:]) if len(parents) > 1 else None,
        attributes={"careforall.destination": destination, "careforall.events": len(rows)},
    ):
        yield


@contextmanager
def event_context(envelopes: Sequence[Envelope]) -> Iterator[None]:
    """Apply ``envelopes`` with their request id bound and, when tracing, under their trace.

    One event: its request id and its ``traceparent``. A batch: the request id when every event
    carries the same one, and a span in the first event's trace linking the others. The log
    lines of a batch of several requests carry all their ids, comma-separated
    (``current_log_request_id``): a grep for one finds them. Events a handler writes meanwhile
    keep a single request id or none, never such a list.
    """
    request_ids = {envelope.request_id for envelope in envelopes}
    one = len(request_ids) == 1
    token = current_request_id.set(next(iter(request_ids)) if one else "")
    log_token = current_log_request_id.set("" if one else ",".join(sorted(request_ids - {""})))
    try:
        if _tracer is None or not envelopes:
            yield
            return
        parents = [envelope.traceparent for envelope in envelopes]
        first = envelopes[0]
        name = f"event {first.event_type} apply" if len(envelopes) == 1 else "events apply batch"
        with _tracer.start_as_current_span(
            name,
            context=_context_of(parents[0]),
            links=_links(parents[1:]) if len(parents) > 1 else None,
            attributes={
                "careforall.event_id": first.event_id,
                "careforall.event_type": first.event_type,
                "careforall.events": len(envelopes),
            },
        ):
            yield
    finally:
        current_log_request_id.reset(log_token)
        current_request_id.reset(token)
