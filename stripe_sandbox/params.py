"""The parameters each endpoint accepts: Stripe refuses any other with `parameter_unknown`.

Taken from stripe-python 16.1.0 (`stripe/params/_payment_intent_create_params.py`, ...). The
sandbox validates and acts on some; it accepts the rest and echoes those that are fields of the
object, as Stripe would.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


INTENT_CREATE = _names(
    "allowed_payment_method_types amount amount_details application_fee_amount "
    "automatic_payment_methods capture_method confirm confirmation_method confirmation_token "
    "currency customer customer_account description error_on_requires_action "
    "excluded_payment_method_types expand hooks mandate mandate_data metadata off_session "
    "on_behalf_of payment_details payment_method payment_method_configuration "
    "payment_method_data payment_method_options payment_method_types radar_options "
    "receipt_email return_url setup_future_usage shipping statement_descriptor "
    "statement_descriptor_suffix transfer_data transfer_group use_stripe_sdk"
)
INTENT_CONFIRM = _names(
    "allowed_payment_method_types amount_details amount_to_confirm capture_method client_secret "
    "confirmation_token error_on_requires_action excluded_payment_method_types expand hooks "
    "mandate mandate_data off_session payment_details payment_method payment_method_data "
    "payment_method_options radar_options receipt_email return_url setup_future_usage shipping "
    "use_stripe_sdk"
)
INTENT_CAPTURE = _names(
    "amount_details amount_to_capture application_fee_amount expand final_capture hooks "
    "metadata payment_details statement_descriptor statement_descriptor_suffix transfer_data"
)
INTENT_CANCEL = _names("cancellation_reason expand")
INTENT_RETRIEVE = _names("client_secret expand")
REFUND_CREATE = _names(
    "amount charge currency customer expand instructions_email metadata origin payment_intent "
    "reason refund_application_fee reverse_transfer"
)
REFUND_LIST = _names("charge created ending_before expand limit payment_intent starting_after")
DISPUTE_LIST = _names("charge created ending_before expand limit payment_intent starting_after")
DISPUTE_RETRIEVE = _names("expand")
DISPUTE_CLOSE = _names("expand")
LIST_CREATED = _names("gt gte lt lte")

INTENT_EXPANDABLE = _names("latest_charge payment_method")
REFUND_EXPANDABLE = _names("charge payment_intent")
DISPUTE_EXPANDABLE = _names("charge payment_intent")

CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
# What a cardholder's bank may give as the reason of a dispute (stripe.Dispute.reason).
DISPUTE_REASONS = (
    "bank_cannot_process",
    "check_returned",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "noncompliant",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
