"""A thing made once per idempotency key: the shape of every create of the platform."""

from __future__ import annotations

from django.db import models

from careforall_common.idempotency import IdempotencyRecordBase


class Thing(models.Model):
    name = models.CharField(max_length=50)
    lease_until = models.DateTimeField(null=True)
    lease_token = models.UUIDField(null=True)
    due_at = models.IntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class ThingRecord(IdempotencyRecordBase):
    thing = models.OneToOneField(Thing, on_delete=models.PROTECT)
