"""``POST /internal/events``: signed batches of events, each applied once (SPEC §4).

A service with a batch handler (``CAREFORALL["EVENT_BATCH_HANDLER"]``) applies a whole batch in
one transaction: one statement that records the event ids and returns those not applied before,
then one handler call. When anything in it fails, the batch is applied again one event at a
time, so a bad event never blocks its neighbours. Services without a batch handler apply each
event in its own transaction.

Who may send what (issue 20, finding 8): the view admits the publishers of the event types this
service handles (``EVENT_PRODUCERS``), and an event signed (v2) by a service that is not its
``source``, or not the publisher of its type, is rejected: a service can publish only its own
events, never another's.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.conf import careforall_settings
from careforall_common.contracts.events import ContractError, Envelope
from careforall_common.inbox.handlers import RejectEvent, batch_handler, handler_for
from careforall_common.inbox.models import ProcessedEvent
from careforall_common.internal import PLATFORM_SERVICES, IsSignedInternalCall, internal_sender
from careforall_common.metrics import event_counted
from careforall_common.problems import Problem
from careforall_common.tracing import event_context

logger = logging.getLogger(__name__)

Result = dict[str, str]


class EventIngestApi(APIView):
    """Answers 200 with one result per event, in the order sent.

    ``processed`` (applied now), ``duplicate`` (applied before), ``rejected`` (never applicable
    here: a broken envelope or payload, or a type this service has no handler for) or ``failed``
    (retry later). A single envelope, as relays of earlier releases sent it, is a batch of one.
    """

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]

    @property
    def allowed_senders(self) -> tuple[str, ...]:
        """The publishers of the types handled here; any platform service for a type whose
        publisher ``EVENT_PRODUCERS`` does not name."""
        producers = careforall_settings.EVENT_PRODUCERS
        senders = {producers.get(event_type) for event_type in careforall_settings.EVENT_HANDLERS}
        if None in senders or not senders:
            return PLATFORM_SERVICES
        return tuple(sorted(sender for sender in senders if sender))

    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and "event_id" in data:
            events: Any = [data]
        else:
            events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            raise Problem(400, 'Expected {"events": [...]}.')
        return Response({"results": apply_events(events, sender=internal_sender(request))})


def _rejected(event_id: str, error: str) -> Result:
    return {"event_id": event_id, "status": "rejected", "error": error}


def _envelope(event: Any, sender: str | None = None) -> Envelope | Result:
    """The envelope of ``event`` with a handler here, or the rejection it gets.

    ``sender``: the service that signed the delivery (v2), which must be the event's source and
    its type's publisher; None for a v1 delivery, which names no sender.
    """
    try:
        envelope = Envelope.parse(event)
    except ContractError as error:
        raw_id = event.get("event_id") if isinstance(event, dict) else None
        return _rejected(str(raw_id or ""), f"not an event envelope: {error}")
    if handler_for(envelope.event_type) is None:
        return _rejected(envelope.event_id, f"no handler for {envelope.event_type} here")
    if sender is not None:
        publisher = careforall_settings.EVENT_PRODUCERS.get(envelope.event_type, envelope.source)
        if envelope.source != sender or publisher != sender:
            logger.warning(
                "event %s (%s from %s) refused: signed by %s",
                envelope.event_id,
                envelope.event_type,
                envelope.source,
                sender,
            )
            return _rejected(
                envelope.event_id,
                f"{envelope.event_type} from {envelope.source} signed by {sender}: "
                f"only {publisher} publishes it",
            )
    return envelope


def apply_events(events: list[Any], *, sender: str | None = None) -> list[Result]:
    """Apply a batch signed by ``sender`` (None: v1); return one result per event, in order."""
    checked = [_envelope(event, sender) for event in events]
    envelopes = [item for item in checked if isinstance(item, Envelope)]
    applied: dict[str, Result] = {}
    handler = batch_handler()
    if handler is not None and envelopes:
        try:
            with event_context(envelopes):  # request id and trace of the events
                applied = _apply_batch(envelopes, handler)
        except Exception:  # one event at a time isolates the cause; nothing was kept
            logger.warning("inbox: batch of %d failed, applying one by one", len(envelopes))
    results: list[Result] = []
    seen: set[str] = set()
    for item in checked:
        if not isinstance(item, Envelope):
            results.append(item)
        elif item.event_id in applied:
            result = applied[item.event_id]
            results.append(result if item.event_id not in seen else _duplicate(item))
        else:
            with event_context([item]):  # request id and trace of the event
                results.append(_apply_one(item))
        if isinstance(item, Envelope):
            seen.add(item.event_id)
        event_counted(_event_type(item), results[-1]["status"])
    return results


def _event_type(item: Envelope | Result) -> str:
    """The type label of a received event; one that broke its envelope is ``invalid``."""
    return item.event_type if isinstance(item, Envelope) else "invalid"


def _duplicate(envelope: Envelope) -> Result:
    return {"event_id": envelope.event_id, "status": "duplicate"}


# Records the batch's event ids and answers those new here, in one statement: an id applied
# before is skipped (IGNORE) and not returned. An id a concurrent delivery holds waits for it:
# skipped when that commits, inserted here when it rolls back, so each id is applied once.
_RECORD = (
    "INSERT IGNORE INTO {table} (event_id, event_type, source, processed_at) VALUES {rows} "
    "RETURNING event_id"
)


@transaction.atomic
def _apply_batch(envelopes: list[Envelope], handler: Any) -> dict[str, Result]:
    """Apply ``envelopes`` in one transaction; raise to have them applied one by one."""
    fresh_ids = _record_new(envelopes)
    results: dict[str, Result] = {}
    fresh: list[Envelope] = []
    for envelope in envelopes:
        if envelope.event_id in fresh_ids:
            fresh_ids.discard(envelope.event_id)  # a repeat within the batch is a duplicate
            fresh.append(envelope)
        else:
            results[envelope.event_id] = _duplicate(envelope)
    rejections: dict[str, str] = handler(fresh) if fresh else {}
    for event_id, error in rejections.items():
        logger.error("event %s rejected: %s", event_id, error)
        results[event_id] = _rejected(event_id, error)
    if rejections:  # a rejected event is not applied: its redelivery is judged again
        ProcessedEvent.objects.filter(event_id__in=list(rejections)).delete()
    for envelope in fresh:
        if envelope.event_id not in rejections:
            results[envelope.event_id] = {"event_id": envelope.event_id, "status": "processed"}
    return results


def _record_new(envelopes: list[Envelope]) -> set[str]:
    """Record the ids of ``envelopes`` as applied; return those not applied before."""
    now = timezone.now().astimezone(UTC).replace(tzinfo=None) if settings.USE_TZ else timezone.now()
    firsts = {envelope.event_id: envelope for envelope in envelopes}  # dict: in order, once each
    params: list[Any] = []
    for envelope in firsts.values():
        params += [envelope.event_id, envelope.event_type, envelope.source, now]
    sql = _RECORD.format(
        table=ProcessedEvent._meta.db_table, rows=",".join(["(%s,%s,%s,%s)"] * len(firsts))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()}


def apply_event(event: Any) -> Result:
    """Apply one event exactly once, in its own transaction; return its result."""
    checked = _envelope(event)
    return checked if not isinstance(checked, Envelope) else _apply_one(checked)


def _apply_one(envelope: Envelope) -> Result:
    event_id = envelope.event_id
    handler = handler_for(envelope.event_type)
    if handler is None:  # checked by _envelope; the settings cannot change meanwhile
        return _rejected(event_id, f"no handler for {envelope.event_type} here")
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ProcessedEvent.objects.create(
                        event_id=event_id, event_type=envelope.event_type, source=envelope.source
                    )
            except IntegrityError:
                return _duplicate(envelope)
            handler(envelope)
    except (RejectEvent, ContractError) as error:
        logger.error("event %s rejected: %s", event_id, error)
        return _rejected(event_id, str(error))
    except Exception as error:
        logger.exception("event %s failed", event_id)
        return {"event_id": event_id, "status": "failed", "error": error.__class__.__name__}
    return {"event_id": event_id, "status": "processed"}
