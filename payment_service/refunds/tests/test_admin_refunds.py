"""The payments admin's refund action (SPEC §3): a confirmation page, the refund service, once.

Against the real sandbox through the SDK, with a staff session of Django's test client.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.outbox.models import OutboxEvent
from payments.models import Payment
from payments.tests.factories import Sandbox, payment
from refunds.admin_refund import RefundForm
from refunds.models import Dispute, Refund, RefundSource, RefundStatus
from refunds.tests.test_refunds import captured, provider_refunded

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/payments/payments/payment/"
REFUNDS = "/admin/payments/refunds/refund/"
DISPUTES = "/admin/payments/refunds/dispute/"


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


@pytest.fixture
def paid(donor_client: Any, donor_pledge: int) -> Payment:
    return captured(donor_client)  # 2,500 usd


def confirmation(admin_client: Any, made: Payment) -> dict[str, str]:
    """The confirmation page's form as shown: its default amount and its hidden token."""
    page = admin_client.get(f"{PAYMENTS}{made.pk}/refund/")
    assert page.status_code == 200
    form = page.context["form"]
    return {
        "amount": form.initial["amount"],
        "reason": "",
        "token": form.initial["token"],
    }


def shown(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def refunded_rows() -> int:
    return OutboxEvent.objects.filter(event_type="PAYMENT_REFUNDED").count()


def test_the_change_page_offers_the_refund_of_a_captured_payment(
    admin_client: Any, paid: Payment
) -> None:
    page = admin_client.get(f"{PAYMENTS}{paid.pk}/change/").content.decode()
    form = confirmation(admin_client, paid)

    assert f'href="{PAYMENTS}{paid.pk}/refund/"' in page
    assert form["amount"] == "25.00"  # what is left, in dollars
    assert len(form["token"]) >= 16
    assert confirmation(admin_client, paid)["token"] != form["token"]  # one per page shown


def test_a_full_refund_from_the_admin(admin_client: Any, paid: Payment, sandbox: Sandbox) -> None:
    form = {**confirmation(admin_client, paid), "reason": "requested_by_customer"}

    response = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)

    assert response.status_code == 302
    assert response["Location"] == f"{PAYMENTS}{paid.pk}/change/"
    assert shown(response) == [
        f"Refunded $25.00 of payment #{paid.pk} (refund #{Refund.objects.get().pk})."
    ]
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.REFUNDED, 2_500)
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.source, refund.reason) == (
        2_500,
        RefundStatus.SUCCEEDED,
        RefundSource.STAFF,
        "requested_by_customer",
    )
    assert provider_refunded(sandbox, made) == 2_500
    assert refunded_rows() == 2  # to pledge_service and campaign_service
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id, entry.user.username) == (
        CHANGE,
        str(paid.pk),
        "staff@example.org",
    )
    assert f"Refunded $25.00: refund #{refund.pk} (requested_by_customer)." in str(
        entry.get_change_message()
    )
    # Nothing is left: the page refuses and the change page no longer offers it.
    again = admin_client.get(f"{PAYMENTS}{paid.pk}/refund/")
    assert again.status_code == 302
    page = admin_client.get(f"{PAYMENTS}{paid.pk}/change/").content.decode()
    assert f"{PAYMENTS}{paid.pk}/refund/" not in page


def test_partial_refunds_in_major_units(admin_client: Any, paid: Payment, sandbox: Sandbox) -> None:
    first = {**confirmation(admin_client, paid), "amount": "10"}
    admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", first)
    second_form = confirmation(admin_client, paid)

    assert second_form["amount"] == "15.00"
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.CAPTURED, 1_000)
    assert provider_refunded(sandbox, made) == 1_000
    assert refunded_rows() == 2

    admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", {**second_form, "amount": "$2.50"})

    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.CAPTURED, 1_250)
    assert provider_refunded(sandbox, made) == 1_250
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [250, 1_000]
    assert refunded_rows() == 4
    listing = admin_client.get(PAYMENTS).content.decode()
    assert ">$12.50<" in listing


def test_a_double_submit_makes_one_refund(
    admin_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    form = {**confirmation(admin_client, paid), "amount": "10.00"}

    first = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)
    second = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)

    assert first.status_code == second.status_code == 302
    assert Refund.objects.count() == 1
    assert payment(paid.pk).refunded_amount == 1_000
    assert provider_refunded(sandbox, payment(paid.pk)) == 1_000
    assert refunded_rows() == 2
    assert LogEntry.objects.count() == 1
    assert "already sent" in shown(second)[-1]


def test_a_double_submit_of_a_full_refund_makes_one_refund(
    admin_client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    form = confirmation(admin_client, paid)

    admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)
    second = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)

    assert Refund.objects.count() == 1
    assert provider_refunded(sandbox, payment(paid.pk)) == 2_500
    assert "already sent" in shown(second)[-1]


@pytest.mark.parametrize("amount", ["25.01", "30", "0", "-5", "2.555", "ten"])
def test_an_amount_the_payment_cannot_refund_is_refused_and_changes_nothing(
    admin_client: Any, paid: Payment, sandbox: Sandbox, amount: str
) -> None:
    form = {**confirmation(admin_client, paid), "amount": amount}

    response = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)

    assert response.status_code == 200  # the page again, with the error on the amount
    assert response.context["form"].errors["amount"]
    assert Refund.objects.count() == 0
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.CAPTURED, 0)
    assert provider_refunded(sandbox, made) == 0
    assert refunded_rows() == 0
    assert LogEntry.objects.count() == 0


def test_an_amount_taken_meanwhile_by_the_api_is_refused_with_what_is_left(
    admin_client: Any, paid: Payment, staff_client: Any
) -> None:
    # The page was shown while 25.00 was left; an API refund takes 20.00 before it is sent.
    form = confirmation(admin_client, paid)
    staff_client.post(
        f"/api/payments/{paid.pk}/refunds",
        {"amount": 2_000},
        format="json",
        headers={"Idempotency-Key": "api-1"},
    )

    response = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)

    assert response.status_code == 200
    assert "Only $5.00 of this payment is left to refund." in str(
        response.context["form"].errors["amount"]
    )
    assert Refund.objects.count() == 1


def test_an_unreachable_provider_is_said_and_the_refund_waits(
    admin_client: Any, paid: Payment, settings: Any
) -> None:
    form = confirmation(admin_client, paid)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", form)

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.PENDING
    assert "cannot be reached" in shown(response)[-1]
    assert f"refund #{refund.pk}" in shown(response)[-1]
    assert payment(paid.pk).refunded_amount == 0
    assert LogEntry.objects.count() == 1


def test_the_list_action_opens_the_confirmation_of_one_payment(
    admin_client: Any, paid: Payment
) -> None:
    response = admin_client.post(PAYMENTS, {"action": "refund", "_selected_action": [paid.pk]})

    assert response.status_code == 302
    assert response["Location"] == f"{PAYMENTS}{paid.pk}/refund/"


def test_an_uncaptured_payment_is_not_refunded(admin_client: Any) -> None:
    made = Payment.objects.create(
        pledge_id=50,
        campaign_id=3,
        amount=2_500,
        currency="usd",
        status=PaymentStatus.AUTHORIZED,
        provider_payment_id="pi_50",
        reconcile_after=timezone.now(),
    )

    page = admin_client.get(f"{PAYMENTS}{made.pk}/refund/")
    post = admin_client.post(f"{PAYMENTS}{made.pk}/refund/", {"amount": "1", "token": "x" * 20})

    assert page.status_code == post.status_code == 302
    assert "only a captured payment can be refunded" in shown(post)[-1]
    assert Refund.objects.count() == 0


def test_the_refund_page_needs_staff(client: Any, paid: Payment) -> None:
    response = client.get(f"{PAYMENTS}{paid.pk}/refund/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/payments/login/")


def _disputed(made: Payment) -> Dispute:
    return Dispute.objects.create(
        payment=made,
        provider_dispute_id="dp_1",
        amount=made.amount,
        currency=made.currency,
        reason="fraudulent",
        status="needs_response",
        opened_at=timezone.now(),
    )


def test_refunds_and_disputes_are_shown_read_only(admin_client: Any, paid: Payment) -> None:
    admin_client.post(
        f"{PAYMENTS}{paid.pk}/refund/", {**confirmation(admin_client, paid), "amount": "5"}
    )
    refund = Refund.objects.get()
    _disputed(payment(paid.pk))

    page = admin_client.get(f"{PAYMENTS}{paid.pk}/change/")
    html = page.content.decode()
    inlines = {formset.opts.model: formset for formset in page.context["inline_admin_formsets"]}

    assert set(inlines) == {Refund, Dispute}
    for formset in inlines.values():
        assert not formset.has_add_permission
        assert not formset.has_change_permission
        assert not formset.has_delete_permission
    assert refund.provider_refund_id
    assert refund.provider_refund_id in html
    assert "$5.00" in html
    assert "fraudulent" in html
    assert "needs_response" in html
    # No input for any money or status field, of the payment or its rows.
    inputs = re.findall(r"<input[^>]*>", html)
    editable = [tag for tag in inputs if 'type="hidden"' not in tag and "nav-filter" not in tag]
    assert editable == []
    assert "<select" not in html
    assert "<textarea" not in html
    listing = admin_client.get(PAYMENTS, {"disputed": "yes"})
    assert [p.pk for p in listing.context["cl"].result_list] == [paid.pk]
    assert admin_client.get(PAYMENTS, {"disputed": "no"}).context["cl"].result_list.count() == 0


def test_the_refund_and_dispute_lists_link_to_the_payment_and_edit_nothing(
    admin_client: Any, paid: Payment
) -> None:
    admin_client.post(
        f"{PAYMENTS}{paid.pk}/refund/", {**confirmation(admin_client, paid), "amount": "5"}
    )
    refund = Refund.objects.get()
    dispute = _disputed(payment(paid.pk))
    link = f'<a href="/admin/payments/payments/payment/{paid.pk}/change/">#{paid.pk}</a>'

    refunds_list = admin_client.get(REFUNDS).content.decode()
    disputes_list = admin_client.get(DISPUTES).content.decode()

    assert link in refunds_list
    assert ">$5.00<" in refunds_list
    assert link in disputes_list
    assert ">$25.00<" in disputes_list
    assert admin_client.get(f"{REFUNDS}{refund.pk}/change/").status_code == 200
    assert admin_client.post(f"{REFUNDS}{refund.pk}/change/", {"amount": 1}).status_code == 403
    assert admin_client.post(f"{DISPUTES}{dispute.pk}/change/", {"amount": 1}).status_code == 403
    assert admin_client.get(f"{REFUNDS}add/").status_code == 403
    assert admin_client.get(f"{DISPUTES}add/").status_code == 403
    assert admin_client.post(f"{REFUNDS}{refund.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Refund.objects.get().amount == 500


def test_the_filter_by_status_includes_refunded(admin_client: Any, paid: Payment) -> None:
    admin_client.post(f"{PAYMENTS}{paid.pk}/refund/", confirmation(admin_client, paid))

    refunded = admin_client.get(PAYMENTS, {"status__exact": "REFUNDED"})

    assert [p.pk for p in refunded.context["cl"].result_list] == [paid.pk]
    assert "?status__exact=REFUNDED" in refunded.content.decode()


@pytest.mark.parametrize(
    ("currency", "typed", "expected"),
    [
        ("usd", "25", 2_500),
        ("usd", "$1,000.50", 100_050),
        ("jpy", "5,000", 5_000),
        ("jpy", "¥1200", 1_200),
    ],
)
def test_the_form_reads_major_units_of_the_payment_s_currency(
    currency: str, typed: str, expected: int
) -> None:
    made = Payment(amount=200_000, currency=currency, status=PaymentStatus.CAPTURED)

    form = RefundForm(
        {"amount": typed, "reason": "", "token": "t" * 24}, payment=made, refundable=200_000
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == expected


def test_jpy_has_no_minor_units_to_refund() -> None:
    made = Payment(amount=5_000, currency="jpy", status=PaymentStatus.CAPTURED)

    form = RefundForm({"amount": "50.5", "token": "t" * 24}, payment=made, refundable=5_000)

    assert not form.is_valid()
    assert "JPY has no minor units" in form.errors["amount"][0]
