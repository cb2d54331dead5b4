"""pledge_service, as payments call it: the pledge a payment is for (SPEC §4).

A signed internal GET (``careforall_common.internal``); the answer's contract is
``PledgeFactsRead``. No local copy: a payment needs the pledge's status now (PENDING or not) and
is made once per pledge, so the read is one short call per payment attempt, never a hot path.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings

from careforall_common.contracts.events import ContractError
from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.internal import internal_get
from careforall_common.problems import Problem

logger = logging.getLogger(__name__)


def pledge_facts_get(*, pledge_id: int) -> PledgeFactsRead | None:
    """Return the pledge, or None when pledge_service knows no such pledge.

    Raises a 503 ``Problem`` when pledge_service does not answer, or not with this pledge.
    Makes an HTTP call: never inside a transaction.
    """
    unavailable = Problem(503, "Pledge details are unavailable; try again shortly.")
    try:
        response = internal_get(
            "pledge", f"/internal/pledges/{pledge_id}", timeout=settings.PLEDGE_SERVICE_TIMEOUT
        )
    except requests.RequestException as error:
        logger.warning("pledge facts: pledge_service unreachable: %s", error)
        raise unavailable from error
    if response.status_code == 404:
        return None
    try:
        facts = PledgeFactsRead.parse(response.json() if response.status_code == 200 else None)
    except (ValueError, ContractError):  # not JSON, or not a pledge
        facts = None
    if facts is None or facts.pledge_id != pledge_id:
        logger.warning(
            "pledge facts: pledge_service answered %s: %s",
            response.status_code,
            response.text[:200],
        )
        raise unavailable
    return facts
