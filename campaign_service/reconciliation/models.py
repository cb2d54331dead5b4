from __future__ import annotations

from django.db import models

MAX_SUMMARY_LENGTH = 500


class ReconciliationTrigger(models.TextChoices):
    COMMAND = "command"
    TASK = "task"


class ReconciliationRun(models.Model):
    """One run of the read model's reconciliation: when, what it found, what it left.

    ``differences`` is every difference found; ``unrepaired`` what a repair could not settle
    (rows the projector moved meanwhile, pledges of a campaign this service lacks). ``error`` is
    set when pledge_service could not be read, and then nothing was compared.
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=ReconciliationTrigger.choices)
    fix = models.BooleanField()  # asked to repair
    campaigns_checked = models.PositiveIntegerField(default=0)
    campaigns_differing = models.PositiveIntegerField(default=0)
    differences = models.PositiveIntegerField(default=0)
    unrepaired = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=MAX_SUMMARY_LENGTH)
    error = models.CharField(max_length=MAX_SUMMARY_LENGTH, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-finished_at"], name="reconciliation_run_latest")]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M:%S} {self.summary}"

    @property
    def differences_left(self) -> int:
        """What the read model still differs by after the run (0 when it could not compare)."""
        return self.unrepaired if self.fix else self.differences

    @property
    def repaired(self) -> bool:
        return self.fix and not self.error and self.differences > 0
