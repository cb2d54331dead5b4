"""The accounts admin links each account to its pledges and payments in their admins."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_an_account_links_to_its_pledges_and_payments(client: Any) -> None:
    staff = User.objects.create_user("staff@example.org", "x" * 16, name="Staff", role=Role.STAFF)
    donor = User.objects.create_user("donor@example.org", "y" * 16, name="Donor")
    client.force_login(staff)

    listing = client.get("/admin/users/accounts/user/", {"q": "donor@example.org"})
    page = client.get(f"/admin/users/accounts/user/{donor.pk}/change/").content.decode()

    assert [u.pk for u in listing.context["cl"].result_list] == [donor.pk]
    assert f'<a href="/admin/pledges/pledges/pledge/?user_id={donor.pk}">pledges</a>' in page
    assert f'<a href="/admin/payments/payments/payment/?user_id={donor.pk}">payments</a>' in page
