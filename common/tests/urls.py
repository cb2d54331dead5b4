from typing import Any

from django.db import transaction
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.auth import IsStaff
from careforall_common.fields import (
    CurrencyField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
)
from careforall_common.health import health
from careforall_common.inbox.apis import EventIngestApi
from careforall_common.metrics import metrics
from careforall_common.outbox.apis import OutboxWaitingInternalApi
from careforall_common.outbox.services import outbox_write
from careforall_common.problems import Problem


class EchoApi(APIView):
    class InputSerializer(StrictSerializer):
        amount = StrictIntegerField(min_value=1, max_value=100_000_000)
        note = StrictCharField(required=False, max_length=20)
        anonymous = StrictBooleanField(required=False)
        currency = CurrencyField(required=False)

    def post(self, request: Request) -> Response:
        return Response(self.InputSerializer.parse(request.data))


class WhoAmIApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        user: Any = request.user
        return Response({"id": user.id, "role": user.role, "is_staff": user.is_staff})


class StaffOnlyApi(APIView):
    permission_classes = [IsStaff]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class ConflictApi(APIView):
    def post(self, request: Request) -> Response:
        raise Problem(409, "Already paid.", payment_id=7)


class ThingCreateApi(APIView):
    """A state change with its event, as a pledge create writes one (tests of the trail)."""

    def post(self, request: Request) -> Response:
        with transaction.atomic():
            outbox_write(
                event_type="THING_HAPPENED", aggregate_type="thing", aggregate_id=1, payload={}
            )
        return Response({"ok": True}, status=201)


class CrashApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("SELECT secret FROM somewhere")


urlpatterns = [
    path("echo", EchoApi.as_view()),
    path("whoami", WhoAmIApi.as_view()),
    path("staff", StaffOnlyApi.as_view()),
    path("conflict", ConflictApi.as_view()),
    path("crash", CrashApi.as_view()),
    path("things", ThingCreateApi.as_view()),
    path("api/health/common", health),
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("internal/events", EventIngestApi.as_view()),
    path("internal/outbox", OutboxWaitingInternalApi.as_view()),
]
