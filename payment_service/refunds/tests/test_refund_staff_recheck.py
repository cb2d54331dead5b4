"""Only staff refund, as user_service says now (SPEC §3): the access token's role is not
enough, since an account demoted or disabled keeps its token for up to 15 minutes."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.testing.peers import point_at
from payments.models import Payment
from payments.tests.factories import CLOSED_PORT_URL, Sandbox
from refunds.models import Refund
from refunds.tests.fakes import STAFF_PATH, FakeUserService
from refunds.tests.helpers import captured, refund_post

pytestmark = pytest.mark.django_db

REFUNDS = "POST /v1/refunds"


@pytest.fixture
def paid(donor_client: Any, donor_pledge: int) -> Payment:
    return captured(donor_client)


def test_a_refund_asks_user_service_whether_the_caller_is_still_staff(
    staff_client: Any, user_service: FakeUserService, paid: Payment
) -> None:
    response = refund_post(staff_client, paid.pk, {"amount": 100})

    assert response.status_code == 201
    assert user_service.asked == [f"{STAFF_PATH}?email=user1%40example.org"]


def test_a_demoted_or_disabled_staff_member_cannot_refund_with_an_old_token(
    staff_client: Any, user_service: FakeUserService, paid: Payment, sandbox: Sandbox
) -> None:
    user_service.staff.clear()  # demoted, or the account disabled: no longer active staff

    response = refund_post(staff_client, paid.pk, {"amount": 100})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert Refund.objects.count() == 0
    assert sandbox.calls(REFUNDS) == 0


@pytest.mark.parametrize("down", ["failing", "unreachable"])
def test_without_user_service_no_refund_is_made(
    staff_client: Any,
    user_service: FakeUserService,
    paid: Payment,
    sandbox: Sandbox,
    settings: Any,
    down: str,
) -> None:
    """Money fails closed: when the staff status cannot be checked, nothing is refunded."""
    if down == "failing":
        user_service.failing = 500
    else:
        point_at(settings, "user", CLOSED_PORT_URL)

    response = refund_post(staff_client, paid.pk, {"amount": 100})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert Refund.objects.count() == 0
    assert sandbox.calls(REFUNDS) == 0


def test_a_donor_is_refused_without_asking_user_service(
    donor_client: Any, user_service: FakeUserService, paid: Payment
) -> None:
    assert refund_post(donor_client, paid.pk, {}).status_code == 403
    assert user_service.asked == []
