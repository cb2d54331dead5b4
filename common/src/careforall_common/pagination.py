"""Cursor pagination in DRF's shape (SPEC §2): 20 by default, at most 100."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    """Newest first; ``page_size`` above 100 counts as 100, an invalid one as the default."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    # The primary key is unique and grows with time: newest first without ties.
    ordering = "-id"

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        # A well-formed cursor may carry a position that is no value of the ordering field
        # (``p=abc`` for an id): DRF passes it to the query, which raises. It is an invalid
        # cursor, answered as DRF answers every other one (404 problem), never a 500.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None


def paginated(
    request: Any, view: Any, queryset: Any, render: Callable[[list[Any]], Iterable[Any]]
) -> Response:
    """The page of ``queryset`` that ``request`` asks for, its rows rendered by ``render``."""
    paginator = CursorPagination()
    page = list(paginator.paginate_queryset(queryset, request, view=view) or [])
    return paginator.get_paginated_response(list(render(page)))
