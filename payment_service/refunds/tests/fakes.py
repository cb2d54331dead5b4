"""user_service, faked at the edge: its signed ``GET /internal/accounts/staff?email=``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from careforall_common.testing.peers import FakePeer

STAFF_PATH = "/internal/accounts/staff"


class FakeUserService(FakePeer):
    """Answers whether an email is an active staff account: it is while it is in ``staff``.

    Unsigned calls are 403; ``failing = 503`` makes it answer 503.
    """

    def __init__(self, *, secret: str | None = None, staff: set[str] | None = None) -> None:
        super().__init__(secret=secret)
        self.staff: set[str] = set(staff or ())

    def respond(self, path: str) -> tuple[int, Any]:
        parts = urlsplit(path)
        if parts.path != STAFF_PATH:
            return 404, {"status": 404}
        email = parse_qs(parts.query).get("email", [""])[0].lower()
        return 200, {"email": email, "staff": email in self.staff}
