# ruff: noqa: DJ008  (rows of a benchmark, never shown in an admin)
from django.db import models


class Payment(models.Model):
    pledge_id = models.BigIntegerField(unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)
    provider_payment_id = models.CharField(max_length=255, null=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class IdempotencyRecord(models.Model):
    key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT)
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)


class ProviderEvent(models.Model):
    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)


class OutboxEvent(models.Model):
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    published_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["published_at", "id"])]
