"""The donor's 3-D Secure attempt and the scheduler's retry of the same period, at once: under
the plan's row lock exactly one of them makes attempt 2, whatever the interleaving.

Committed transactions, real connections: one thread per request or scheduler run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from careforall_common.testing import concurrency
from plans.models import Installment, RecurringPlan
from plans.services.schedule import Step, plan_charge_next
from plans.tests.apis.test_plan_authenticate import declined_for_3ds
from plans.tests.conftest import FakePaymentService

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 6


def test_a_due_retry_and_the_donor_s_attempts_make_one_attempt(
    client: Any,
    donor_client: Any,
    make_token: Callable[..., str],
    active_campaign: int,
    payment_service: FakePaymentService,
) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    RecurringPlan.objects.filter(pk=plan.pk).update(next_charge_at=timezone.now())  # retry due
    token = make_token(user_id=2)
    path = f"/api/recurring/{plan.pk}/installments/{declined.pk}/authenticate"

    def authenticate() -> Any:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return api.post(path, {}, format="json").status_code

    calls: list[Callable[[], Any]] = [authenticate] * REQUESTS
    calls += [partial(plan_charge_next, plan_id=plan.pk)] * REQUESTS
    results = concurrency.race(calls)

    attempts = Installment.objects.filter(plan=plan, period=1).order_by("attempt")
    assert [i.attempt for i in attempts] == [1, 2]
    answers = Counter(results[:REQUESTS])
    steps = Counter(results[REQUESTS:])
    if attempts[1].by_donor:  # the donor's request won: every request answers it, no retry
        assert answers == {201: REQUESTS}
        assert steps == {Step.NOT_DUE: REQUESTS}
    else:  # the schedule's retry won: every request is told
        assert answers == {409: REQUESTS}
        assert steps[Step.CHARGED] == 1
