"""``GET /internal/outbox``: what waits in this service's outbox, for the staff dashboard."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.internal import IsSignedInternalCall
from careforall_common.outbox.selectors import outbox_waiting


class OutboxWaitingInternalApi(APIView):
    """Pending rows and dead letters per destination; signed, never routed by the gateway.

    campaign_service's admin shows them beside its own (the dashboard), linked to this service's
    outbox admin, where dead letters are replayed.
    """

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("campaign",)  # issue 20, finding 8

    def get(self, request: Request) -> Response:
        return Response({"destinations": outbox_waiting()})
