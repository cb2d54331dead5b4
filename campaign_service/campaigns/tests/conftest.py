from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from careforall_common.keys import generate_pem_pair


@pytest.fixture
def forged_staff_client(make_token: Callable[..., str]) -> Any:
    """A client whose staff token is signed with a key the platform does not know."""
    other_private, _ = generate_pem_pair()
    client = APIClient()
    token = make_token(user_id=1, role="staff", private_key=other_private)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
