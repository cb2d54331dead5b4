"""Idempotency keys of ``POST /api/payments`` (SPEC §3): scopes, the lookup, the answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.contracts.receipts import receipt_token_matches
from careforall_common.idempotency import OTHER_BODY, IdempotencyRequest, idempotency_request
from careforall_common.problems import Problem
from payments.models import IdempotencyRecord, Payment
from payments.rows import record_with_payment


@dataclass(frozen=True)
class Payer:
    """Who pays: a signed-in account, or whoever holds the pledge's receipt token (a guest)."""

    user_id: int | None
    receipt_token: str | None

    def may_pay(self, pledge: PledgeFactsRead) -> bool:
        return self._owns(pledge.user_id, pledge.receipt_token_hash)

    def may_read(self, payment: Payment) -> bool:
        return self._owns(payment.user_id, payment.receipt_token_hash)

    def _owns(self, user_id: int | None, token_hash: str | None) -> bool:
        if self.user_id is not None and user_id == self.user_id:
            return True
        return receipt_token_matches(token=self.receipt_token, token_hash=token_hash)


def payment_idempotency(
    *, key: str, payer: Payer, pledge_id: int, body: Mapping[str, Any]
) -> IdempotencyRequest:
    """Scope ``key`` to the signed-in user, or for a guest to the pledge; fingerprint ``body``.

    A guest has no account to scope by; the pledge is what the guest's receipt token opens, so
    ``guest-pledge:<id>`` is the guest's namespace. The body (and so the fingerprint) includes
    the receipt token.
    """
    scope = f"user:{payer.user_id}" if payer.user_id is not None else f"guest-pledge:{pledge_id}"
    return idempotency_request(key=key, scope=scope, body=body)


def idempotency_record_find(
    *, idempotency: IdempotencyRequest, payer: Payer
) -> IdempotencyRecord | None:
    """Return the committed record of this key, None if there is none; 422 for another body.

    A record whose payment the caller may not read counts as none: a guest scope is known to
    anyone who knows the pledge id, the receipt token is not.
    """
    record = record_with_payment(idempotency.scoped_key_hash)  # one plain statement
    if record is None or not payer.may_read(record.payment):
        return None
    if record.fingerprint != idempotency.fingerprint:
        raise Problem(422, OTHER_BODY)
    return record
