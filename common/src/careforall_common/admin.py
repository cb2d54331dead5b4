"""Admin building blocks every service uses."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.html import format_html


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records that only the platform writes (money, events): staff look, nobody edits."""

    show_full_result_count = False  # no COUNT(*) over the whole table on every page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The columns every idempotency record has (``careforall_common.idempotency``), first in its
# admin; each service adds the link to what the request made and the answer.
IDEMPOTENCY_RECORD_FIELDS = ("id", "scope", "key", "scoped_key_hash", "fingerprint")


# Each service's admin, by its path through the gateway (SPEC §3): links between them go there.
ADMIN_ROOTS = {
    "campaign": "/admin/",
    "user": "/admin/users/",
    "pledge": "/admin/pledges/",
    "payment": "/admin/payments/",
}
_CHANGE_PAGES = {
    "campaign": "campaigns/campaign",
    "user": "accounts/user",
    "pledge": "pledges/pledge",
    "payment": "payments/payment",
}


def admin_url(kind: str, object_id: int | None = None, **filters: Any) -> str:
    """The gateway path of one object's admin page, or of its list filtered by ``filters``."""
    path = f"{ADMIN_ROOTS[kind]}{_CHANGE_PAGES[kind]}/"
    if object_id is not None:
        return f"{path}{int(object_id)}/change/"
    if filters:
        return f"{path}?{urlencode(filters)}"
    return path


def outbox_admin_url(kind: str, **filters: Any) -> str:
    """The gateway path of a service's outbox admin (dead letters are replayed there)."""
    path = f"{ADMIN_ROOTS[kind]}outbox/outboxevent/"
    return f"{path}?{urlencode(filters)}" if filters else path


def admin_link(kind: str, object_id: int | None, text: object = None, **filters: Any) -> str:
    """A link to another admin's page of ``kind`` (``-`` when there is no id)."""
    if object_id is None and not filters:
        return "-"
    label = f"#{object_id}" if text is None else text
    return format_html('<a href="{}">{}</a>', admin_url(kind, object_id, **filters), label)


class _Line:
    """A file-like object whose write returns the line: csv.writer without a buffer."""

    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    # A cell a spreadsheet would run as a formula is kept as text (OWASP's CSV injection advice).
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, made as it is consumed: nothing is built in memory."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def csv_response(rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download of ``rows``."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
