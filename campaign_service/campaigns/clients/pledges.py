"""pledge_service, as campaigns call it: campaign holds, pledge reads, donor emails (signed).

A deletion or a currency change is decided on pledge_service's own records, never on the read
model, which may lag: campaign_service holds the campaign there (refused when it has pledges),
commits its change, and releases the hold with the facts as they are now
(``campaigns.services``). Every call goes through ``careforall_common.internal``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests

from careforall_common.contracts.internal import DonorEmailsRead
from careforall_common.internal import internal_get, internal_post
from careforall_common.problems import Problem

logger = logging.getLogger(__name__)

TIMEOUT = 5.0
REFUSAL = "The campaign has pledges."
UNAVAILABLE = "Pledges cannot be checked right now; try again shortly."
DONORS_CHUNK = 500  # pledge ids per call; pledge_service takes up to 1,000


def _unavailable(error: object) -> Problem:
    logger.warning("pledge_service did not answer about a campaign's pledges: %s", error)
    return Problem(503, UNAVAILABLE)


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


def campaign_has_pledges(*, campaign_id: int) -> bool:
    """Whether pledge_service has any pledge of the campaign (a read: the hold decides); 503."""
    query = urlencode({"campaign_id": campaign_id, "limit": 1})
    try:
        response = internal_get("pledge", f"/internal/pledges?{query}", timeout=TIMEOUT)
        response.raise_for_status()
        return bool(response.json()["results"])
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise _unavailable(error) from error


def donor_emails(*, pledge_ids: list[int]) -> dict[int, str]:
    """The donor email of each pledge, from pledge_service (staff's export only, SPEC §3).

    Emails stay in pledge_service: never stored here, never in a public answer. Raises
    ``requests`` errors when pledge_service does not answer, ``ContractError`` (a
    ``ValueError``) when it answers outside the contract.
    """
    emails: dict[int, str] = {}
    for start in range(0, len(pledge_ids), DONORS_CHUNK):
        chunk = pledge_ids[start : start + DONORS_CHUNK]
        response = internal_post(
            "pledge", "/internal/pledges/donors", {"pledge_ids": chunk}, timeout=TIMEOUT
        )
        response.raise_for_status()
        emails.update(DonorEmailsRead.parse(response.json()).emails)
    return emails
