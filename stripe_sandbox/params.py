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
INTENT_LIST = _names("created customer customer_account ending_before expand limit starting_after")
CUSTOMER_CREATE = _names(
    "address balance business_name cash_balance description email expand individual_name "
    "invoice_prefix invoice_settings metadata name next_invoice_sequence payment_method phone "
    "preferred_locales shipping source tax tax_exempt tax_id_data test_clock validate"
)
CUSTOMER_UPDATE = _names(
    "address balance business_name cash_balance default_source description email expand "
    "individual_name invoice_prefix invoice_settings metadata name next_invoice_sequence phone "
    "preferred_locales shipping source tax tax_exempt validate"
)
CUSTOMER_LIST = _names("created email ending_before expand limit starting_after test_clock")
METHOD_ATTACH = _names("customer customer_account expand")
METHOD_DETACH = _names("expand")
METHOD_UPDATE = _names("allow_redisplay billing_details card expand metadata")
METHOD_LIST = _names(
    "allow_redisplay customer customer_account ending_before expand limit starting_after type"
)
CUSTOMER_METHOD_LIST = _names("allow_redisplay ending_before expand limit starting_after type")
SETUP_CREATE = _names(
    "allowed_payment_method_types attach_to_self automatic_payment_methods confirm "
    "confirmation_token customer customer_account description excluded_payment_method_types "
    "expand flow_directions mandate_data metadata on_behalf_of payment_method "
    "payment_method_configuration payment_method_data payment_method_options "
    "payment_method_types return_url single_use usage use_stripe_sdk"
)
# client_secret: what Stripe.js sends with a publishable key.
SETUP_CONFIRM = _names(
    "allowed_payment_method_types client_secret confirmation_token expand mandate_data "
    "payment_method payment_method_data payment_method_options return_url use_stripe_sdk"
)
SETUP_CANCEL = _names("cancellation_reason expand")
SETUP_RETRIEVE = _names("client_secret expand")
SETUP_LIST = _names(
    "attach_to_self created customer customer_account ending_before expand limit "
    "payment_method starting_after"
)

INTENT_EXPANDABLE = _names("latest_charge payment_method")
CUSTOMER_EXPANDABLE = _names("invoice_settings.default_payment_method")
SETUP_EXPANDABLE = _names("customer payment_method")
REFUND_EXPANDABLE = _names("charge payment_intent")
DISPUTE_EXPANDABLE = _names("charge payment_intent")

CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
FUTURE_USAGES = ("off_session", "on_session")
SETUP_CANCELLATION_REASONS = ("abandoned", "duplicate", "requested_by_customer")
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
