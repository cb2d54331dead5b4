from __future__ import annotations

from django.db import models

from careforall_common.contracts.money import amount_range_q, currency_q
from careforall_common.contracts.statuses import PledgeStatus
from careforall_common.idempotency import IdempotencyRecordBase


class Pledge(models.Model):
    """A donor's promise to give ``amount`` to a campaign, and how far its payment got.

    ``campaign_id`` and ``user_id`` name rows of other services: plain ids, no foreign keys
    (SPEC §7). Guests have no ``user_id``; their pledge carries the ingredients of the receipt
    token instead (``pledges.receipts``): a random nonce and the token's SHA-256, never the token.
    """

    campaign_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    donor_name = models.CharField(max_length=150)
    donor_email = models.CharField(max_length=254)  # never public (SPEC §3)
    anonymous = models.BooleanField(default=False)
    amount = models.IntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=PledgeStatus.choices, default=PledgeStatus.PENDING
    )
    # What the donor had back (refunds, lost disputes); grows, except that a partial refund the
    # provider failed after it succeeded is taken out again (``RefundFailure``). REFUNDED when
    # all of it, and then for good.
    refunded_amount = models.IntegerField(default=0)
    receipt_nonce = models.CharField(max_length=32, null=True, blank=True)
    receipt_token_hash = models.CharField(max_length=64, null=True, blank=True)
    # The recurring plan this pledge is an installment of (``plans``); None for a one-off gift.
    plan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "id"], name="pledge_user_id_idx"),
            models.Index(fields=["campaign_id", "id"], name="pledge_campaign_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=amount_range_q(), name="pledge_amount_range"),
            models.CheckConstraint(condition=currency_q(), name="pledge_currency_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=PledgeStatus.values), name="pledge_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(campaign_id__gte=1), name="pledge_campaign_id_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="pledge_refunded_amount_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=PledgeStatus.REFUNDED)
                | models.Q(refunded_amount=models.F("amount")),
                name="pledge_refunded_in_full",
            ),
        ]

    def __str__(self) -> str:
        return f"Pledge #{self.pk}"


class RefundFailure(models.Model):
    """A refund of the pledge's payment that the provider failed after it succeeded.

    One row per refund id (``PAYMENT_REFUND_FAILED``): the failure takes the refund out of
    ``refunded_amount`` once, and that refund's ``PAYMENT_REFUNDED``, however late or often it
    comes, counts nothing afterwards.
    """

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="+")
    refund_id = models.BigIntegerField(unique=True)
    amount = models.IntegerField()
    refunded_total = models.IntegerField()  # what the payment has had back without it
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Refund #{self.refund_id} of pledge #{self.pledge_id} failed"


class IdempotencyRecord(IdempotencyRecordBase):
    """The answer to one ``Idempotency-Key`` of one caller, committed with its pledge.

    ``scope`` is ``user:<id>`` or ``guest:<lower-cased email>``; ``response_body`` is the 201
    body without the guest's ``receipt_token`` (recomputed on each answer, never stored).
    """

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="+")


class CampaignFacts(models.Model):
    """The local copy of what pledges need to know about a campaign (docs/pledges.md).

    ``refreshed_at`` is when these facts were known to be true: the ``occurred_at`` of the
    ``CAMPAIGN_CHANGED`` event that brought them, or the moment campaign_service was asked. It
    orders the updates (an older report never overwrites a newer one) and bounds the staleness.
    """

    campaign_id = models.BigIntegerField(unique=True)
    status = models.CharField(max_length=16)
    currency = models.CharField(max_length=3)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "campaign facts"

    def __str__(self) -> str:
        return f"Campaign #{self.campaign_id}: {self.status}, {self.currency}"


class CampaignHold(models.Model):
    """While it holds, no pledge is made for the campaign (``pledges.holds``).

    campaign_service holds a campaign while it deletes it or changes its currency, so that the
    decision rests on the pledges here and no pledge slips in meanwhile (SPEC §3). ``until`` is
    the database's time the hold ends; None holds for good (the campaign is deleted).
    """

    campaign_id = models.BigIntegerField(unique=True)
    until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Hold on campaign #{self.campaign_id} until {self.until or 'forever'}"
