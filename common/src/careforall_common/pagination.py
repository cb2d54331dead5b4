"""Cursor pagination in DRF's shape (SPEC §2): 20 by default, at most 100."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Newest first; ``page_size`` above 100 counts as 100, an invalid one as the default."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    # The primary key is unique and grows with time: newest first without ties.
    ordering = "-id"
