"""The stored objects, rendered in Stripe's JSON shape (the fields stripe-python 16.1.0 types)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from .catalog import Card, Decline
from .errors import doc_url

_ALPHABET = string.ascii_letters + string.digits


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def new_id(prefix: str, length: int = 23) -> str:
    """`pi_3` + 23 characters: ids as long as Stripe's."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass(slots=True, eq=False)
class PaymentMethod:
    """A card. Used once without a Customer it cannot be used again (`used`), as on Stripe;
    attached to a Customer it can be charged again and again, off-session too."""

    id: str
    card: Card
    created: int
    used: bool = False
    customer: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # Set up for off-session use: saved through a SetupIntent, or by a payment with
    # `setup_future_usage`, with 3-D Secure completed where the card asked for it.
    set_up: bool = False

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": _billing_details(),
            "card": {
                "brand": self.card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "unchecked",
                },
                "country": self.card.country,
                "display_brand": self.card.brand,
                "exp_month": self.card.exp_month,
                "exp_year": self.card.exp_year,
                "fingerprint": self.card.fingerprint,
                "funding": self.card.funding,
                "generated_from": None,
                "last4": self.card.last4,
                "networks": {"available": [self.card.brand], "preferred": None},
                "regulated_status": "unregulated",
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "created": self.created,
            "customer": self.customer,
            "livemode": False,
            "metadata": dict(self.metadata),
            "type": "card",
        }


@dataclass(slots=True, eq=False)
class Charge:
    id: str
    amount: int
    currency: str
    created: int
    payment_intent: str
    payment_method: PaymentMethod
    description: str | None
    metadata: dict[str, str]
    decline: Decline | None = None
    customer: str | None = None
    captured: bool = False
    amount_captured: int = 0
    amount_refunded: int = 0
    balance_transaction: str | None = None
    dispute: str | None = None  # the id of its dispute: a charge is disputed at most once

    def render(self) -> dict[str, Any]:
        card = self.payment_method.card
        decline = self.decline
        succeeded = decline is None
        return {
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_captured,
            "amount_refunded": self.amount_refunded,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": self.balance_transaction,
            "billing_details": _billing_details(),
            "calculated_statement_descriptor": "CAREFORALL",
            "captured": self.captured,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "disputed": self.dispute is not None,
            "failure_balance_transaction": None,
            "failure_code": decline.code if decline else None,
            "failure_message": decline.message if decline else None,
            "fraud_details": {},
            "livemode": False,
            "metadata": dict(self.metadata),
            "on_behalf_of": None,
            "outcome": _outcome(decline),
            "paid": succeeded,
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method.id,
            "payment_method_details": {
                "card": {
                    "amount_authorized": self.amount if succeeded else None,
                    "brand": card.brand,
                    "country": card.country,
                    "exp_month": card.exp_month,
                    "exp_year": card.exp_year,
                    "fingerprint": card.fingerprint,
                    "funding": card.funding,
                    "last4": card.last4,
                    "network": card.brand,
                },
                "type": "card",
            },
            "receipt_email": None,
            "receipt_number": None,
            "receipt_url": None,
            "refunded": self.refunded,
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "succeeded" if succeeded else "failed",
            "transfer_data": None,
            "transfer_group": None,
        }

    @property
    def refunded(self) -> bool:
        return self.amount_refunded > 0 and self.amount_refunded >= (
            self.amount_captured if self.captured else self.amount
        )


@dataclass(slots=True, eq=False)
class Refund:
    """A refund of a charge: `pending`, `succeeded` or `failed` (refunds.py moves it).

    `reversal` marks the refund an authorization release makes (an uncaptured charge whose
    PaymentIntent was canceled): no funds moved, so no balance transaction.
    """

    id: str
    amount: int
    currency: str
    created: int
    charge: str
    payment_intent: str
    payment_method: str
    reason: str | None
    metadata: dict[str, str]
    balance_transaction: str | None
    status: str = "succeeded"
    reversal: bool = False
    failure_reason: str | None = None
    failure_balance_transaction: str | None = None

    def render(self) -> dict[str, Any]:
        kind = "reversal" if self.reversal else "pending" if self.status == "pending" else "refund"
        body: dict[str, Any] = {
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "customer": None,
            "customer_account": None,
            "destination_details": {"card": {"type": kind}, "type": "card"},
            "metadata": dict(self.metadata),
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "reason": self.reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": self.status,
            "transfer_reversal": None,
        }
        # Present only when they apply, as on Stripe.
        if self.status == "pending":
            body["pending_reason"] = "processing"
        if self.status == "failed":
            body["failure_balance_transaction"] = self.failure_balance_transaction
            body["failure_reason"] = self.failure_reason
        # Stripe's order: id and object first, then alphabetical.
        return dict(sorted(body.items(), key=lambda item: (_FIRST.get(item[0], 2), item[0])))


_FIRST = {"id": 0, "object": 1}


@dataclass(slots=True, eq=False)
class Dispute:
    """A chargeback the cardholder's bank opened on a captured charge (`/_sandbox/disputes`, or
    a dispute test card)."""

    id: str
    amount: int
    currency: str
    created: int
    charge: str
    payment_intent: str
    reason: str
    brand: str
    status: str = "needs_response"  # needs_response, then won or lost
    balance_transactions: list[dict[str, Any]] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "balance_transactions": [dict(t) for t in self.balance_transactions],
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "enhanced_eligibility_types": [],
            "evidence": {**dict.fromkeys(_EVIDENCE_FIELDS), "enhanced_evidence": {}},
            "evidence_details": {
                "due_by": self.created + 7 * 86_400,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
                "submission_method": "not_submitted",
            },
            "intended_submission_method": None,
            # The funds left with the chargeback: a refund is refused unless the dispute was won.
            "is_charge_refundable": self.status == "won",
            "livemode": False,
            "metadata": {},
            "network_reason_code": None,
            "payment_intent": self.payment_intent,
            "payment_method_details": {
                "card": {
                    "brand": self.brand,
                    "case_type": "chargeback",
                    "network_reason_code": None,
                },
                "type": "card",
            },
            "reason": self.reason,
            "status": self.status,
        }


_EVIDENCE_FIELDS = words(
    "access_activity_log appeal billing_address cancellation_policy "
    "cancellation_policy_disclosure cancellation_rebuttal customer_communication "
    "customer_email_address customer_name customer_purchase_ip customer_signature "
    "duplicate_charge_documentation duplicate_charge_explanation duplicate_charge_id "
    "product_description receipt refund_policy refund_policy_disclosure "
    "refund_refusal_explanation service_date service_documentation shipping_address "
    "shipping_carrier shipping_date shipping_documentation shipping_tracking_number "
    "uncategorized_file uncategorized_text"
)
DISPUTE_FEE = 1500  # Stripe's dispute fee in the US: $15.00, in the charge's currency here


def dispute_balance_transaction(
    dispute: Dispute, *, reinstated: bool, created: int
) -> dict[str, Any]:
    """The funds a dispute withdraws from the balance (with the fee), or reinstates if won."""
    amount = dispute.amount if reinstated else -dispute.amount
    fee = 0 if reinstated else DISPUTE_FEE
    fee_details = [
        {
            "amount": fee,
            "application": None,
            "currency": dispute.currency,
            "description": "Dispute fee",
            "type": "stripe_fee",
        }
    ]
    return {
        "id": new_id("txn_3"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "balance_type": "payments",
        "created": created,
        "currency": dispute.currency,
        "description": f"Chargeback {'reversal' if reinstated else 'withdrawal'} for "
        f"{dispute.charge}",
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details if fee else [],
        "net": amount - fee,
        "reporting_category": "dispute_reversal" if reinstated else "dispute",
        "source": dispute.id,
        "status": "available",
        "type": "adjustment",
    }


@dataclass(slots=True, eq=False)
class PaymentIntent:
    id: str
    amount: int
    currency: str
    created: int
    capture_method: str
    confirmation_method: str
    metadata: dict[str, str]
    description: str | None
    automatic_payment_methods: dict[str, Any] | None
    payment_method_types: list[str]
    # Stored and echoed, not acted on: receipt_email, shipping, statement_descriptor, ...
    echoed: dict[str, Any] = field(default_factory=dict)
    customer: str | None = None
    setup_future_usage: str | None = None  # off_session / on_session: save the card on success
    client_secret: str = ""
    status: str = "requires_payment_method"
    payment_method: str | None = None
    amount_capturable: int = 0
    amount_received: int = 0
    latest_charge: str | None = None
    last_payment_error: dict[str, Any] | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    # An open 3-D Secure challenge: its secret id, and the payment method it authenticates.
    challenge: str | None = None
    challenged_method: PaymentMethod | None = None

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = dict.fromkeys(_INTENT_FIELDS)
        body.update(self.echoed)
        body.update(
            id=self.id,
            object="payment_intent",
            amount=self.amount,
            amount_capturable=self.amount_capturable,
            amount_details={"tip": {}},
            amount_received=self.amount_received,
            automatic_payment_methods=self.automatic_payment_methods,
            canceled_at=self.canceled_at,
            cancellation_reason=self.cancellation_reason,
            capture_method=self.capture_method,
            client_secret=self.client_secret,
            confirmation_method=self.confirmation_method,
            created=self.created,
            currency=self.currency,
            customer=self.customer,
            description=self.description,
            last_payment_error=self.last_payment_error,
            latest_charge=self.latest_charge,
            livemode=False,
            metadata=dict(self.metadata),
            payment_method=self.payment_method,
            payment_method_types=list(self.payment_method_types),
            setup_future_usage=self.setup_future_usage,
            status=self.status,
        )
        if self.status == "requires_action" and self.challenge is not None:
            # What Stripe.js reads to open the challenge in place (the URL is relative to the
            # sandbox: browsers and services may reach it by different addresses).
            body["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": f"/3ds/{self.challenge}",
                    "source": self.challenge,
                },
            }
        if body["payment_method_options"] is None:
            body["payment_method_options"] = {
                "card": {
                    "installments": None,
                    "mandate_options": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            }
        return body


# Every field of stripe.PaymentIntent, in Stripe's order (id and object first).
_INTENT_FIELDS = words(
    "id object allowed_payment_method_types amount amount_capturable amount_details "
    "amount_received application application_fee_amount automatic_payment_methods canceled_at "
    "cancellation_reason capture_method client_secret confirmation_method created currency "
    "customer customer_account description excluded_payment_method_types hooks "
    "last_payment_error latest_charge livemode managed_payments metadata next_action "
    "on_behalf_of payment_details payment_method payment_method_configuration_details "
    "payment_method_options payment_method_types payment_record presentment_details "
    "processing receipt_email review setup_future_usage shipping source statement_descriptor "
    "statement_descriptor_suffix status transfer_data transfer_group"
)
ECHOED_INTENT_FIELDS = frozenset(_INTENT_FIELDS) & frozenset(
    words(
        "allowed_payment_method_types application_fee_amount customer_account "
        "excluded_payment_method_types hooks on_behalf_of payment_details payment_method_options "
        "receipt_email shipping statement_descriptor "
        "statement_descriptor_suffix transfer_data transfer_group"
    )
)


def payment_error(
    decline: Decline, *, charge: str, payment_method: PaymentMethod
) -> dict[str, Any]:
    """The `last_payment_error` of an intent, and the body of the 402 (minus payment_intent)."""
    error: dict[str, Any] = {
        "charge": charge,
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": doc_url(decline.code),
        "message": decline.message,
    }
    if decline.param is not None:
        error["param"] = decline.param
    error["payment_method"] = payment_method.render()
    error["type"] = "card_error"
    return error


def _billing_details() -> dict[str, Any]:
    address = dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))
    return {"address": address, "email": None, "name": None, "phone": None, "tax_id": None}


def _outcome(decline: Decline | None) -> dict[str, Any]:
    if decline is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 12,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "risk_score": 12,
        "seller_message": decline.seller_message,
        "type": "issuer_declined",
    }
