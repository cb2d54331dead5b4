from __future__ import annotations

from django.db import models


class NoticeKind(models.TextChoices):
    RECEIPT = "receipt"  # one per captured payment; key: the payment id
    REFUND = "refund"  # one per refund; key: the refund id
    # Recurring plans (docs/recurring.md); ``plan`` is set, ``pledge`` is an installment's.
    PLAN_CREATED = "plan_created"  # the first capture; key: the plan id
    PLAN_PAST_DUE = "plan_past_due"  # a decline ("update your card"); key: the failed pledge
    PLAN_AUTHENTICATION_REQUIRED = "plan_authentication_required"  # key: the failed pledge
    PLAN_CANCELED = "plan_canceled"  # payment_failed or campaign_closed; key: the plan id


class NoticeStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"


class Notice(models.Model):
    """One email to a donor, and the outbox of its sending (docs/payments.md "Receipts").

    Inserted by a payment event's handler inside the inbox's transaction, at most once per
    ``(kind, key)``: a second event for the same payment or refund finds the row and adds none.
    ``data`` holds what the event said (amounts, card); the rest is read at send time.
    ``message_id`` is fixed at insert, so every copy of the email is the same message.
    """

    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    key = models.CharField(max_length=64)
    pledge = models.ForeignKey("pledges.Pledge", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.RecurringPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(max_length=254)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()  # when the payment was captured or the refund made
    message_id = models.CharField(max_length=200)
    status = models.CharField(
        max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="notice_kind_key_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NoticeKind.values), name="notice_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=NoticeStatus.values), name="notice_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notice_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} to {self.recipient}: {self.status}"
