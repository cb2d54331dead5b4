"""The one transition table of pledges and payments (SPEC §5.3): forward only.

PENDING (a payment: PROCESSING) < AUTHORIZED < CAPTURED < REFUNDED, and FAILED, terminal,
reachable only from the first two. A status moves only up this rank:

- a capture may be reported before the authorization, hence PENDING → CAPTURED;
- a refund in full may be reported before the capture, hence → REFUNDED from any of the first three;
- CAPTURED and FAILED have equal rank, so neither ever overrides the other;
- nothing leaves FAILED or REFUNDED.

Every writer (pledge_service's state machine, payment_service's, campaign_service's projector)
asks these functions, and conditional updates take their ``WHERE status IN`` lists from them.
"""

from __future__ import annotations

from careforall_common.contracts.statuses import PaymentStatus, PledgeStatus

PLEDGE_RANK: dict[str, int] = {
    PledgeStatus.PENDING: 0,
    PledgeStatus.AUTHORIZED: 1,
    PledgeStatus.CAPTURED: 2,
    PledgeStatus.FAILED: 2,
    PledgeStatus.REFUNDED: 3,
}
PAYMENT_RANK: dict[str, int] = {
    PaymentStatus.PROCESSING: 0,
    PaymentStatus.AUTHORIZED: 1,
    PaymentStatus.CAPTURED: 2,
    PaymentStatus.FAILED: 2,
    PaymentStatus.REFUNDED: 3,
}
TERMINAL = frozenset({PledgeStatus.FAILED.value, PledgeStatus.REFUNDED.value})

# The campaign bucket that holds the amount of a pledge in each status (SPEC §3). A refunded
# pledge stays in the captured bucket; its refunds are counted in ``refunded_amount``.
PLEDGE_STATUS_BUCKET: dict[str, str] = {
    PledgeStatus.PENDING: "pending_amount",
    PledgeStatus.AUTHORIZED: "authorized_amount",
    PledgeStatus.CAPTURED: "captured_amount",
    PledgeStatus.REFUNDED: "captured_amount",
    PledgeStatus.FAILED: "failed_amount",
}


def _moves(rank: dict[str, int], current: str, new: str) -> bool:
    return current not in TERMINAL and rank[new] > rank[current]


def pledge_status_moves(current: str, new: str) -> bool:
    """Whether a pledge in ``current`` may move to ``new``."""
    return _moves(PLEDGE_RANK, current, new)


def payment_status_moves(current: str, new: str) -> bool:
    """Whether a payment in ``current`` may move to ``new``."""
    return _moves(PAYMENT_RANK, current, new)


def pledge_statuses_before(new: str) -> list[str]:
    """The statuses a pledge may move to ``new`` from, in rank order."""
    return [status for status in PLEDGE_RANK if pledge_status_moves(status, new)]


def payment_statuses_before(new: str) -> list[str]:
    """The statuses a payment may move to ``new`` from, in rank order."""
    return [status for status in PAYMENT_RANK if payment_status_moves(status, new)]
