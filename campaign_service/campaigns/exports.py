"""A campaign's donations as CSV for staff (issue 15), streamed a chunk at a time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import requests

from campaigns.clients.pledges import donor_emails
from campaigns.outputs import ANONYMOUS_DONOR_NAME
from campaigns.selectors import donation_rows_chunk, payment_ids_by_pledge, refunded_by_pledge
from careforall_common.money import money_plain
from careforall_common.timestamps import timestamp

logger = logging.getLogger(__name__)

EXPORT_CHUNK = 500  # donations read per query while a CSV export streams
CSV_HEADER = [
    "pledge_id",
    "date",
    "donor",
    "email",
    "amount",
    "currency",
    "status",
    "refunded_amount",
    "payment_id",
]
EMAIL_UNAVAILABLE = "(pledge_service did not answer)"


def _emails(pledge_ids: list[int]) -> dict[int, str]:
    try:
        return donor_emails(pledge_ids=pledge_ids)
    except (requests.RequestException, ValueError) as error:  # ContractError is a ValueError
        logger.warning("export: pledge_service did not give donor emails: %s", error)
        return dict.fromkeys(pledge_ids, EMAIL_UNAVAILABLE)


def donation_rows(campaign_id: int) -> Iterator[list[Any]]:
    """The campaign's donations, newest first, a chunk at a time (keyset on the pledge id).

    Amounts are exact decimal strings in major units. Donor emails (staff only, as this whole
    admin is) are asked of pledge_service per chunk, so memory stays flat at any size; they are
    never stored here. The refunded amount is the sum of the pledge's refund rows.
    """
    yield CSV_HEADER
    before: int | None = None
    while rows := donation_rows_chunk(campaign_id=campaign_id, before=before, size=EXPORT_CHUNK):
        pledge_ids = [row[0] for row in rows]
        payments = payment_ids_by_pledge(pledge_ids)
        refunded = refunded_by_pledge(pledge_ids)
        emails = _emails(pledge_ids)
        for pledge_id, occurred_at, name, anonymous, amount, currency, status in rows:
            yield [
                pledge_id,
                timestamp(occurred_at),
                ANONYMOUS_DONOR_NAME if anonymous or not name else name,
                emails.get(pledge_id, ""),
                money_plain(amount, currency),
                currency,
                status,
                money_plain(refunded.get(pledge_id, 0), currency),
                payments.get(pledge_id, ""),
            ]
        before = rows[-1][0]
