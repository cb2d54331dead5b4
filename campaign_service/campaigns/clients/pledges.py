"""pledge_service, as campaign_service calls it: campaign holds (SPEC §3, ``pledges.holds``).

A deletion or a currency change is decided on pledge_service's own records, never on the read
model, which may lag: campaign_service holds the campaign there (refused when it has pledges),
commits its change, and releases the hold with the facts as they are now.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from careforall_common.internal import internal_get, internal_post
from careforall_common.problems import Problem

logger = logging.getLogger(__name__)

TIMEOUT = 5.0
# pledge_service lifts a hold by itself after 30 s (CAMPAIGN_HOLD_SECONDS); a change not
# committed well within that is abandoned, so that it never lands after the hold is gone.
HOLD_BUDGET_SECONDS = 10.0

REFUSAL = "The campaign has pledges."


def _unavailable(error: object) -> Problem:
    logger.warning("pledge_service did not answer a campaign hold: %s", error)
    return Problem(503, "Pledges cannot be checked right now; try again shortly.")


def campaign_hold(*, campaign_id: int, refusal: str = REFUSAL) -> None:
    """Hold the campaign in pledge_service: 409 ``refusal`` when it has pledges, 503 when down."""
    try:
        response = internal_post(
            "pledge",
            f"/internal/campaigns/{campaign_id}/hold",
            {"campaign_id": campaign_id},
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        raise _unavailable(error) from error
    if response.status_code == 409:
        raise Problem(409, refusal, campaign_id=campaign_id)
    if response.status_code != 200:
        raise _unavailable(f"{response.status_code} {response.text[:200]}")


@contextmanager
def campaign_held(*, campaign_id: int, refusal: str = REFUSAL) -> Iterator[Released]:
    """Hold the campaign in pledge_service for the block: 409 ``refusal`` when it has pledges.

    The block commits its change and sets ``released.status`` / ``released.currency`` to the
    facts to release with; when it raises, the hold is released with the facts it had.
    """
    campaign_hold(campaign_id=campaign_id, refusal=refusal)
    released = Released(deadline=time.monotonic() + HOLD_BUDGET_SECONDS)
    try:
        yield released
    finally:
        if released.status is None or released.currency is None:
            facts = _current_facts(campaign_id)  # nothing committed: release as it is
            if facts is not None:
                released.status, released.currency = facts
        if released.status is not None and released.currency is not None:
            campaign_release(
                campaign_id=campaign_id, status=released.status, currency=released.currency
            )


class Released:
    """The facts a hold is released with; ``in_time()`` before committing the change."""

    def __init__(self, *, deadline: float) -> None:
        self.deadline = deadline
        self.status: str | None = None
        self.currency: str | None = None

    def in_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise Problem(503, "Pledges were held too long; try again.")


def campaign_release(*, campaign_id: int, status: str, currency: str) -> None:
    """End the hold with the campaign's facts now (``deleted`` keeps it for good)."""
    try:
        internal_post(
            "pledge",
            f"/internal/campaigns/{campaign_id}/release",
            {"campaign_id": campaign_id, "status": status, "currency": currency},
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        # The hold ends by itself; the change reaches pledge_service as CAMPAIGN_CHANGED.
        logger.warning("pledge_service did not take a hold's release: %s", error)


def _current_facts(campaign_id: int) -> tuple[str, str] | None:
    from campaigns.models import Campaign

    campaign = Campaign.objects.filter(pk=campaign_id).values_list("status", "currency").first()
    return (str(campaign[0]), str(campaign[1])) if campaign else None


def campaign_ids_with_pledges() -> list[int]:
    """Every campaign id pledge_service has pledges for (reconciliation, SPEC §5.2)."""
    response = internal_get("pledge", "/internal/pledges/campaigns", timeout=TIMEOUT)
    response.raise_for_status()
    return [int(campaign_id) for campaign_id in response.json()["campaign_ids"]]


DONORS_CHUNK = 500  # pledge ids per call; pledge_service takes up to 1,000


def donor_emails(*, pledge_ids: list[int]) -> dict[int, str]:
    """The donor email of each pledge, from pledge_service (staff's export only, SPEC §3).

    Emails stay in pledge_service: never stored here, never in a public answer. Raises
    ``requests`` errors when pledge_service does not answer.
    """
    emails: dict[int, str] = {}
    for start in range(0, len(pledge_ids), DONORS_CHUNK):
        chunk = pledge_ids[start : start + DONORS_CHUNK]
        response = internal_post(
            "pledge", "/internal/pledges/donors", {"pledge_ids": chunk}, timeout=TIMEOUT
        )
        response.raise_for_status()
        for item in response.json()["results"]:
            emails[int(item["pledge_id"])] = str(item["donor_email"])
    return emails
