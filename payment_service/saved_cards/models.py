from __future__ import annotations

from django.db import models

from payments.models import EXACT


class PlanCard(models.Model):
    """The card a recurring plan's installments are charged to: the provider's ids only.

    ``customer`` is the plan's Customer at the provider (made with the first payment),
    ``payment_method`` the card saved on it — by the first payment, or a card change — with the
    card's brand, last four digits and fingerprint as the provider reports them; never a card
    number (SPEC guarantee 9). ``saved_at`` is the provider's creation time of the intent or
    SetupIntent that saved the card: a late report of an older one changes nothing.
    """

    plan_id = models.BigIntegerField(unique=True)
    customer = models.CharField(max_length=255, db_collation=EXACT)
    payment_method = models.CharField(max_length=255, blank=True, default="", db_collation=EXACT)
    card_brand = models.CharField(max_length=32, blank=True, default="")
    card_last4 = models.CharField(max_length=4, blank=True, default="")
    card_fingerprint = models.CharField(max_length=64, blank=True, default="", db_collation=EXACT)
    saved_at = models.BigIntegerField(null=True, blank=True)  # the provider's epoch seconds
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(plan_id__gte=1), name="plancard_plan_id"),
            models.CheckConstraint(
                condition=models.Q(customer__startswith="cus_"), name="plancard_customer_id"
            ),
            models.CheckConstraint(
                condition=models.Q(payment_method="") | models.Q(payment_method__startswith="pm_"),
                name="plancard_payment_method_id",
            ),
            # Four digits or nothing: never more of a card number (SPEC §5.9).
            models.CheckConstraint(
                condition=models.Q(card_last4__regex=r"^([0-9]{4})?$"),
                name="plancard_card_last4_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"Card of plan #{self.plan_id}"

    @property
    def chargeable(self) -> bool:
        """Whether a card is saved: installments can be charged off-session."""
        return bool(self.payment_method)
