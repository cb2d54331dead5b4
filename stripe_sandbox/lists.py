"""Stripe's list endpoints: `limit`, cursors and `created` ranges, newest first.

A page is `{"object": "list", "data": [...], "has_more": bool, "url": "/v1/..."}`; the SDK's
`auto_paging_iter()` asks for the next page with `starting_after=<last id>` (or, when the first
request had `ending_before`, for the previous one with `ending_before=<first id>`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from . import params as allowed
from .errors import invalid_request, resource_missing
from .forms import Params

MAX_LIMIT = 100


class Listed(Protocol):
    id: str
    created: int


T = TypeVar("T", bound=Listed)


@dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int
    starting_after: str | None
    ending_before: str | None
    created: dict[str, int]  # {"gte": 1700000000, ...}; {"eq": n} for a plain integer

    def created_matches(self, created: int) -> bool:
        bounds = self.created
        return (
            ("eq" not in bounds or created == bounds["eq"])
            and ("gt" not in bounds or created > bounds["gt"])
            and ("gte" not in bounds or created >= bounds["gte"])
            and ("lt" not in bounds or created < bounds["lt"])
            and ("lte" not in bounds or created <= bounds["lte"])
        )


def list_query(p: Params) -> ListQuery:
    """Read `limit`, `starting_after`, `ending_before` and `created` as Stripe reads them."""
    limit = p.integer("limit", minimum=1)
    if limit is not None and limit > MAX_LIMIT:
        raise invalid_request(
            f"This value must be less than or equal to {MAX_LIMIT}.",
            param="limit",
            code="parameter_invalid_integer",
        )
    starting_after = p.string("starting_after")
    ending_before = p.string("ending_before")
    if starting_after is not None and ending_before is not None:
        raise invalid_request(
            "You may only specify one of these parameters: ending_before, starting_after."
        )
    return ListQuery(limit or 10, starting_after, ending_before, _created(p))


def _created(p: Params) -> dict[str, int]:
    raw = p.data.get("created")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        return {"eq": p.integer("created") or 0}
    if not isinstance(raw, dict):
        raise invalid_request("Invalid created: must be an integer or a hash", param="created")
    nested = Params(
        {f"created[{key}]": value for key, value in raw.items()},
        frozenset(f"created[{name}]" for name in allowed.LIST_CREATED),
    )
    bounds = {name: nested.integer(f"created[{name}]") for name in allowed.LIST_CREATED}
    return {name: value for name, value in bounds.items() if value is not None}


def list_page(
    query: ListQuery,
    stored: Iterable[T],
    matches: Callable[[T], bool],
    *,
    kind: str,
) -> tuple[list[T], bool]:
    """One page of `stored` (oldest first, as inserted) in Stripe's order, and `has_more`.

    A cursor is a position in the whole list, as on Stripe: it need not match the filters.
    """
    ordered: Sequence[T] = list(stored)[::-1]  # newest first; insertion order breaks ties
    if query.starting_after is not None:
        ordered = ordered[_position(ordered, query.starting_after, kind, "starting_after") + 1 :]
    elif query.ending_before is not None:
        ordered = ordered[: _position(ordered, query.ending_before, kind, "ending_before")]
    chosen = [item for item in ordered if query.created_matches(item.created) and matches(item)]
    if query.ending_before is not None:  # the page right before the cursor
        return chosen[-query.limit :], len(chosen) > query.limit
    return chosen[: query.limit], len(chosen) > query.limit


def list_body(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def list_expand(fields: list[str]) -> list[str]:
    """`expand[]=data.charge` on a list: the field to expand on each object."""
    return [field.removeprefix("data.") for field in fields]


def list_expandable(fields: frozenset[str]) -> frozenset[str]:
    return frozenset(f"data.{field}" for field in fields)


def _position(ordered: Sequence[Listed], object_id: str, kind: str, param: str) -> int:
    for index, item in enumerate(ordered):
        if item.id == object_id:
            return index
    raise resource_missing(kind, object_id, param=param, status=400)
