"""What Stripe's test mode knows: test payment methods and per-currency charge limits."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from dataclasses import dataclass

from .errors import ApiError, invalid_request


@dataclass(frozen=True, slots=True)
class Decline:
    code: str
    decline_code: str
    message: str
    param: str | None = None
    seller_message: str = "The bank did not return any further details with this decline."


@dataclass(frozen=True, slots=True)
class Card:
    brand: str
    last4: str
    funding: str = "credit"
    country: str = "US"
    decline: Decline | None = None
    # 3-D Secure: "always" (every payment asks for it; off-session ones fail), or "setup"
    # (on-session payments ask for it; off-session ones succeed once the card is set up).
    authentication: str | None = None
    # The decline hits charges only: attaching the card, or setting it up, succeeds (0341).
    declines_charges_only: bool = False
    dispute: str | None = None  # once captured, the bank disputes the charge for this reason
    # Its refunds: "pending" (stay pending a while, then succeed) or "fail" (succeed, then fail).
    refund: str | None = None
    exp_month: int = 12
    exp_year: int = 2034
    fingerprint: str = ""

    @property
    def three_d_secure(self) -> bool:
        """Whether an on-session confirmation asks for a 3-D Secure challenge first."""
        return self.authentication is not None

    @property
    def attach_decline(self) -> Decline | None:
        """The refusal met when the card is attached or set up (a $0 check), if any."""
        return None if self.declines_charges_only else self.decline


_DECLINED = "Your card was declined."

# https://docs.stripe.com/testing#cards and #declined-payments: the `pm_card_*` shortcuts.
TEST_CARDS: dict[str, Card] = {
    "pm_card_visa": Card("visa", "4242"),
    "pm_card_visa_debit": Card("visa", "5556", "debit"),
    "pm_card_mastercard": Card("mastercard", "4444"),
    "pm_card_mastercard_debit": Card("mastercard", "8210", "debit"),
    "pm_card_amex": Card("amex", "8431"),
    "pm_card_discover": Card("discover", "1117"),
    "pm_card_chargeDeclined": Card(
        "visa", "0002", decline=Decline("card_declined", "generic_decline", _DECLINED)
    ),
    "pm_card_chargeDeclinedInsufficientFunds": Card(
        "visa",
        "9995",
        decline=Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ),
    "pm_card_chargeDeclinedLostCard": Card(
        "visa", "9987", decline=Decline("card_declined", "lost_card", _DECLINED)
    ),
    "pm_card_chargeDeclinedStolenCard": Card(
        "visa", "9979", decline=Decline("card_declined", "stolen_card", _DECLINED)
    ),
    "pm_card_chargeDeclinedFraudulent": Card(
        "visa", "0019", decline=Decline("card_declined", "fraudulent", _DECLINED)
    ),
    "pm_card_chargeDeclinedExpiredCard": Card(
        "visa",
        "0069",
        decline=Decline("expired_card", "expired_card", "Your card has expired.", "exp_month"),
    ),
    "pm_card_chargeDeclinedIncorrectCvc": Card(
        "visa",
        "0127",
        decline=Decline(
            "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"
        ),
    ),
    "pm_card_chargeDeclinedProcessingError": Card(
        "visa",
        "0119",
        decline=Decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
    ),
}


# https://docs.stripe.com/testing#authentication-and-setup
TEST_CARDS["pm_card_authenticationRequiredOnSetup"] = Card("visa", "3155", authentication="setup")
TEST_CARDS["pm_card_authenticationRequired"] = Card("visa", "3184", authentication="always")
TEST_CARDS["pm_card_chargeCustomerFail"] = Card(
    "visa",
    "0341",
    decline=Decline("card_declined", "generic_decline", _DECLINED),
    declines_charges_only=True,
)
# https://docs.stripe.com/testing#disputes: the charge succeeds, then is disputed.
TEST_CARDS["pm_card_createDispute"] = Card("visa", "0259", dispute="fraudulent")
TEST_CARDS["pm_card_createDisputeProductNotReceived"] = Card(
    "visa", "2685", dispute="product_not_received"
)
# https://docs.stripe.com/testing#refunds: the charge succeeds; a refund of it starts `pending`
# and succeeds some time later, or starts `succeeded` and fails later (expired_or_canceled_card).
TEST_CARDS["pm_card_pendingRefund"] = Card("visa", "7726", refund="pending")
TEST_CARDS["pm_card_refundFail"] = Card("visa", "5126", refund="fail")

# https://docs.stripe.com/testing: the card numbers a donor types into the Payment Element.
TEST_CARD_NUMBERS: dict[str, Card] = {
    "4242424242424242": TEST_CARDS["pm_card_visa"],
    "4000056655665556": TEST_CARDS["pm_card_visa_debit"],
    "5555555555554444": TEST_CARDS["pm_card_mastercard"],
    "378282246310005": TEST_CARDS["pm_card_amex"],
    "6011111111111117": TEST_CARDS["pm_card_discover"],
    "4000000000000002": TEST_CARDS["pm_card_chargeDeclined"],
    "4000000000009995": TEST_CARDS["pm_card_chargeDeclinedInsufficientFunds"],
    "4000000000009987": TEST_CARDS["pm_card_chargeDeclinedLostCard"],
    "4000000000009979": TEST_CARDS["pm_card_chargeDeclinedStolenCard"],
    "4000000000000069": TEST_CARDS["pm_card_chargeDeclinedExpiredCard"],
    "4000000000000127": TEST_CARDS["pm_card_chargeDeclinedIncorrectCvc"],
    "4000000000000119": TEST_CARDS["pm_card_chargeDeclinedProcessingError"],
    "4000002500003155": TEST_CARDS["pm_card_authenticationRequiredOnSetup"],
    "4000002760003184": TEST_CARDS["pm_card_authenticationRequired"],
    "4000000000000341": TEST_CARDS["pm_card_chargeCustomerFail"],
    "4000000000000259": TEST_CARDS["pm_card_createDispute"],
    "4000000000002685": TEST_CARDS["pm_card_createDisputeProductNotReceived"],
    "4000000000007726": TEST_CARDS["pm_card_pendingRefund"],
    "4000000000005126": TEST_CARDS["pm_card_refundFail"],
}
# The numbers behind the `pm_card_*` shortcuts not typed above, for their fingerprints.
_SHORTCUT_NUMBERS = {
    "pm_card_amex": "371449635398431",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
}
# A fixed key: a card's fingerprint is the same in every run, as Stripe's is per account.
_FINGERPRINT_KEY = b"stripe-sandbox card fingerprint"


def card_fingerprint(number: str) -> str:
    """Stripe's `card.fingerprint`: 16 characters, the same for the same number, else not."""
    digest = hmac.new(_FINGERPRINT_KEY, number.encode(), hashlib.sha256).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    value = int.from_bytes(digest[:12], "big")
    return "".join(alphabet[(value >> (6 * i)) % 62] for i in range(16))


def _fingerprinted() -> None:
    """Give every test card the fingerprint of its number (numbers are not kept on cards)."""
    numbers = {id(card): number for number, card in TEST_CARD_NUMBERS.items()}
    for name, card in list(TEST_CARDS.items()):
        number = _SHORTCUT_NUMBERS.get(name) or numbers[id(card)]
        TEST_CARDS[name] = dataclasses.replace(card, fingerprint=card_fingerprint(number))
    for number, card in list(TEST_CARD_NUMBERS.items()):
        TEST_CARD_NUMBERS[number] = dataclasses.replace(
            card, last4=number[-4:], fingerprint=card_fingerprint(number)
        )


_fingerprinted()
LIVE_CARD = Decline(
    "card_declined",
    "test_mode_live_card",
    "Your card was declined. Your request was in test mode, but used a non test (live) card. "
    "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
)
_BRANDS: tuple[tuple[str, str], ...] = (
    ("4", "visa"),
    ("5", "mastercard"),
    ("2", "mastercard"),
    ("34", "amex"),
    ("37", "amex"),
    ("6", "discover"),
)


def luhn_valid(number: str) -> bool:
    """Whether ``number`` (digits only) passes the Luhn check every card number passes."""
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_for_number(number: str, exp_month: int, exp_year: int) -> Card:
    """The test card of ``number``; any other valid number is a live card, declined in test
    mode (as Stripe does). The caller checked the digits, the Luhn sum and the expiry."""
    known = TEST_CARD_NUMBERS.get(number)
    if known is not None:
        return dataclasses.replace(known, exp_month=exp_month, exp_year=exp_year)
    brand = next((name for prefix, name in _BRANDS if number.startswith(prefix)), "unknown")
    return Card(
        brand,
        number[-4:],
        decline=LIVE_CARD,
        exp_month=exp_month,
        exp_year=exp_year,
        fingerprint=card_fingerprint(number),
    )


@dataclass(frozen=True, slots=True)
class Currency:
    symbol: str
    minimum: (
        int  # minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts)
    )
    decimals: int = 2


CURRENCIES: dict[str, Currency] = {
    "usd": Currency("$", 50),
    "aed": Currency("AED ", 200),
    "aud": Currency("A$", 50),
    "bgn": Currency("BGN ", 100),
    "brl": Currency("R$", 50),
    "cad": Currency("CA$", 50),
    "chf": Currency("CHF ", 50),
    "czk": Currency("CZK ", 1500),
    "dkk": Currency("DKK ", 250),
    "eur": Currency("€", 50),
    "gbp": Currency("£", 30),
    "hkd": Currency("HK$", 400),
    "huf": Currency("HUF ", 17500),
    "inr": Currency("₹", 50),
    "jpy": Currency("¥", 50, 0),
    "mxn": Currency("MX$", 1000),
    "myr": Currency("RM", 200),
    "nok": Currency("NOK ", 300),
    "nzd": Currency("NZ$", 50),
    "pln": Currency("PLN ", 200),
    "ron": Currency("RON ", 200),
    "sek": Currency("SEK ", 300),
    "sgd": Currency("S$", 50),
    "thb": Currency("THB ", 1000),
}
MAXIMUM_AMOUNT = 99_999_999  # eight digits, in every currency


def format_amount(currency_code: str, amount: int) -> str:
    """`$0.50`, `¥50`: how Stripe writes an amount in its messages."""
    currency = CURRENCIES[currency_code]
    if currency.decimals == 0:
        return f"{currency.symbol}{amount:,}"
    return f"{currency.symbol}{amount // 100:,}.{amount % 100:02d}"


def currency_check(raw: str) -> str:
    code = raw.lower()
    if code not in CURRENCIES:
        raise invalid_request(
            f"Invalid currency: {raw}. Stripe currently supports these currencies: "
            + ", ".join(sorted(CURRENCIES)),
            param="currency",
        )
    return code


def amount_check(amount: int, currency: str) -> ApiError | None:
    """Return Stripe's refusal of `amount` in `currency`, or None."""
    info = CURRENCIES[currency]
    if amount < info.minimum:
        return invalid_request(
            f"Amount must be at least {format_amount(currency, info.minimum)} {currency}",
            param="amount",
            code="amount_too_small",
        )
    if amount > MAXIMUM_AMOUNT:
        return invalid_request(
            f"Amount must be no more than {format_amount(currency, MAXIMUM_AMOUNT)}",
            param="amount",
            code="amount_too_large",
        )
    return None
