"""`GET /v1/payment_intents`: Stripe's list of PaymentIntents, newest first, by `customer` and
`created`, with Stripe's paging (lists.py). Each carries its `metadata` as sent (`pledge_id`)."""

from __future__ import annotations

from typing import Any

from . import params as allowed
from .forms import Params
from .lists import list_body, list_expand, list_expandable, list_page, list_query
from .payments import Payments


def intent_list(payments: Payments, data: dict[str, Any]) -> dict[str, Any]:
    p = Params(data, allowed.INTENT_LIST)
    query = list_query(p)
    customer_id = p.string("customer")
    expand = list_expand(p.expand(list_expandable(allowed.INTENT_EXPANDABLE)))
    with payments.lock:
        if customer_id is not None:
            payments.customer_get(customer_id, param="customer")
        page, has_more = list_page(
            query,
            payments.intents.values(),
            lambda intent: customer_id in (None, intent.customer),
            kind="payment_intent",
        )
        rendered = [payments.intent_render(intent, expand) for intent in page]
    return list_body("/v1/payment_intents", rendered, has_more)
