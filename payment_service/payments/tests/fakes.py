"""pledge_service, faked at the edge: its signed ``GET /internal/pledges/{id}``."""

from __future__ import annotations

from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.contracts.receipts import receipt_token_hash
from careforall_common.testing.peers import FakePeer


class FakePledgeService(FakePeer):
    """The pledges it knows, answered as ``PledgeFactsRead`` says; unsigned calls are 403.

    ``failing = 500`` makes it answer 500.
    """

    def add(
        self,
        pledge_id: int,
        *,
        user_id: int | None = 2,
        amount: int = 2_500,
        currency: str = "usd",
        status: str = "PENDING",
        campaign_id: int = 7,
        receipt_token: str | None = None,
    ) -> int:
        self.items[pledge_id] = PledgeFactsRead(
            pledge_id=pledge_id,
            campaign_id=campaign_id,
            user_id=user_id,
            amount=amount,
            currency=currency,
            status=status,
            receipt_token_hash=receipt_token_hash(receipt_token) if receipt_token else None,
        ).to_dict()
        return pledge_id

    def set_status(self, pledge_id: int, status: str) -> None:
        self.items[pledge_id]["status"] = status
