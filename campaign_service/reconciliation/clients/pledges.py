"""pledge_service, as reconciliation reads it: its pledges and recurring plans are the truth
(SPEC §5.2). Signed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import requests

from careforall_common.internal import internal_get

PAGE_SIZE = 500
HTTP_TIMEOUT = 10.0


class ReconcileError(Exception):
    """pledge_service could not be read, or answered outside its contract."""


def _get_json(path: str) -> Any:
    try:
        response = internal_get("pledge", path, timeout=HTTP_TIMEOUT)
    except requests.RequestException as error:
        raise ReconcileError(f"pledge_service unreachable: {error}") from None
    if response.status_code != 200:
        raise ReconcileError(f"pledge_service answered {response.status_code} to {path}")
    try:
        return response.json()
    except ValueError:
        raise ReconcileError(f"pledge_service answered {path} without JSON") from None


def pledges_page(*, campaign_id: int, after: int | None) -> Any:
    """One page of the campaign's pledges, in id order: ``{"results", "next_after"}``."""
    query: dict[str, int] = {"campaign_id": campaign_id, "limit": PAGE_SIZE}
    if after is not None:
        query["after"] = after
    return _get_json(f"/internal/pledges?{urlencode(query)}")


def plans_page(*, campaign_id: int, after: int | None) -> Any:
    """One page of the campaign's recurring plans, in id order: ``{"results", "next_after"}``.

    ``GET /internal/plans?campaign_id=&after=``: each plan as its latest ``PLAN_CHANGED`` says.
    """
    query: dict[str, int] = {"campaign_id": campaign_id}
    if after is not None:
        query["after"] = after
    return _get_json(f"/internal/plans?{urlencode(query)}")


def campaign_ids_with_pledges() -> list[int]:
    """Every campaign id pledge_service has pledges for."""
    body = _get_json("/internal/pledges/campaigns")
    try:
        return [int(campaign_id) for campaign_id in body["campaign_ids"]]
    except (KeyError, TypeError, ValueError) as error:
        raise ReconcileError(f"pledge_service answered outside the contract: {error}") from None
