"""The bare Django + DRF writes that payment create and the webhook are compared with.

``POST /payments``: DRF validation, one provider call with the stripe SDK (create and confirm a
manual-capture PaymentIntent with the payment method, the charge expanded: payment_service's
server-confirmed call), then one transaction: the payment, its idempotency record and an outbox
row. ``POST /webhook``: the SDK's signature check on the raw body, then one transaction: the
event row and an outbox row.
"""

import hashlib
import json
import uuid
from functools import cache

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import IdempotencyRecord, OutboxEvent, Payment, ProviderEvent

STATUSES = {"requires_capture": "AUTHORIZED", "succeeded": "CAPTURED"}


@cache
def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=10),
    )


class PaymentIn(serializers.Serializer):
    pledge_id = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1)
    payment_method = serializers.RegexField(r"^pm_[A-Za-z0-9_]+\Z", max_length=255)


class PaymentOut(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "pledge_id", "amount", "currency", "status", "created_at"]


class Hello(APIView):
    def get(self, request):
        return Response({"hello": "world"})


class PaymentCreate(APIView):
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return Response({"detail": "Idempotency-Key header required"}, status=400)
        body_hash = hashlib.sha256(request.body).hexdigest()
        data = PaymentIn(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        intent = client().v1.payment_intents.create(
            {
                "amount": d["amount"],
                "currency": "usd",
                "capture_method": "manual",
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                "metadata": {"pledge_id": str(d["pledge_id"])},
                "payment_method": d["payment_method"],
                "confirm": True,
                "expand": ["latest_charge"],
            },
            {"idempotency_key": f"reference-{key}"},
        )
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    pledge_id=d["pledge_id"],
                    amount=d["amount"],
                    currency="usd",
                    status=STATUSES.get(intent.status, "FAILED"),
                    provider_payment_id=intent.id,
                )
                body = PaymentOut(payment).data
                IdempotencyRecord.objects.create(
                    key=key, request_hash=body_hash, payment=payment, response_body=body
                )
                OutboxEvent.objects.create(
                    event_id=uuid.uuid4(), event_type=f"PAYMENT_{payment.status}", payload=body
                )
        except IntegrityError:
            return Response({"detail": "idempotency key or pledge conflict"}, status=409)
        return Response(body, status=201)


class Webhook(APIView):
    def post(self, request):
        try:
            event = stripe.Webhook.construct_event(
                request.body,
                request.headers.get("Stripe-Signature", ""),
                settings.STRIPE_WEBHOOK_SECRET,
            )
        except (stripe.SignatureVerificationError, ValueError):
            return Response({"detail": "bad signature"}, status=400)
        payload = json.loads(request.body)
        try:
            with transaction.atomic():
                ProviderEvent.objects.create(
                    event_id=event.id, event_type=event.type, payload=payload
                )
                OutboxEvent.objects.create(
                    event_id=uuid.uuid4(), event_type="PROVIDER_EVENT", payload={"id": event.id}
                )
        except IntegrityError:
            return Response({"received": True, "result": "duplicate"})
        return Response({"received": True, "result": "processed"})
