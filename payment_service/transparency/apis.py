from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.contracts.internal import PaymentTransparencyRead
from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.internal import IsSignedInternalCall
from careforall_common.problems import Problem
from payments.models import Payment
from transparency.services import capture_commitment_ensure


class PaymentTransparencyInternalApi(APIView):
    """A captured payment's commitment, salt and log index (``null`` until logged). Signed:
    pledge_service puts the index and salt in the receipt email; campaign_service's backfill
    takes the commitment of a capture published before the log existed (the salt is made then).
    404 for a payment never captured."""

    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("pledge", "campaign")

    def get(self, request: Request, payment_id: int) -> Response:
        payment = Payment.objects.filter(pk=payment_id).first()
        if payment is None or payment.status not in (
            PaymentStatus.CAPTURED,
            PaymentStatus.REFUNDED,
        ):
            raise Problem(404, "No captured payment with this id.")
        row = capture_commitment_ensure(payment)
        return Response(
            PaymentTransparencyRead(
                payment_id=payment.pk,
                campaign_id=row.campaign_id,
                commitment=row.commitment,
                salt=row.salt,
                index=row.index,
            ).to_dict()
        )
