from __future__ import annotations

from django.db import models

from payments.models import Payment


class CaptureCommitment(models.Model):
    """A captured payment's salt (32 random bytes, 64 lowercase hex), its commitment
    ``SHA-256("<salt>:<payment id>")``, and its entry's index in its campaign's log once
    campaign_service has logged it (``CAPTURE_LOGGED``). Written once; ``index`` set once."""

    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, primary_key=True, related_name="commitment"
    )
    salt = models.CharField(max_length=64)
    commitment = models.CharField(max_length=64)
    campaign_id = models.BigIntegerField()
    index = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    logged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Commitment of payment {self.payment_id}"
