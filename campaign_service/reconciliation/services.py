"""Run the read model's reconciliation (``campaigns.reconcile``) and record what it found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
from django.utils import timezone

from campaigns.clients.pledges import campaign_ids_with_pledges
from campaigns.models import Campaign
from campaigns.reconcile import Outcome, ReconcileError, reconcile
from reconciliation.models import MAX_SUMMARY_LENGTH, ReconciliationRun, ReconciliationTrigger


@dataclass
class Result:
    run: ReconciliationRun
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def failed(self) -> bool:
        return bool(self.run.error)


def reconciliation_run(
    *, campaign_ids: Iterable[int] | None, fix: bool, trigger: str = ReconciliationTrigger.COMMAND
) -> Result:
    """Reconcile ``campaign_ids`` (None: every campaign known here or to pledge_service).

    Always records the run, also when pledge_service cannot be read (``run.error``); the
    comparison and repair are ``campaigns.reconcile.reconcile``'s.
    """
    started_at = timezone.now()
    outcome = Outcome()
    checked: list[int] = []
    error = ""
    try:
        checked = sorted(campaign_ids) if campaign_ids is not None else _every_campaign_id()
        outcome = reconcile(campaign_ids=checked, fix=fix)
    except ReconcileError as failure:
        error = str(failure)
    except (requests.RequestException, ValueError, KeyError, TypeError) as failure:
        error = f"pledge_service unreachable: {failure}"
    differing = len({difference.campaign_id for difference in outcome.differences})
    if error:
        summary = f"not compared: {error}"
    else:
        summary = (
            f"{len(checked)} campaign(s) checked, {len(outcome.differences)} difference(s) "
            f"in {differing} campaign(s)"
        )
        if fix:
            summary += f", repaired, {len(outcome.unrepaired)} left for another run"
    run = ReconciliationRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        trigger=trigger,
        fix=fix,
        campaigns_checked=len(checked),
        campaigns_differing=differing,
        differences=len(outcome.differences),
        unrepaired=len(outcome.unrepaired),
        summary=summary[:MAX_SUMMARY_LENGTH],
        error=error[:MAX_SUMMARY_LENGTH],
    )
    return Result(run=run, outcome=outcome)


def _every_campaign_id() -> list[int]:
    # Every campaign here, and every campaign pledge_service has pledges for: a pledge whose
    # campaign the read model does not know is reported too (SPEC §5.2).
    here = Campaign.objects.values_list("pk", flat=True)
    return sorted({*here, *campaign_ids_with_pledges()})
