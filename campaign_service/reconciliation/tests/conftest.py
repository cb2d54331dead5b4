from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from careforall_common.testing.peers import FakePeer, fake_peer


class PledgeServiceStandIn(FakePeer):
    """pledge_service's signed pledge reads, served from ``pledges``; ``paths`` were asked."""

    def __init__(self, *, secret: str) -> None:
        super().__init__(secret=secret)
        self.pledges: list[dict[str, Any]] = []
        # ``GET /internal/plans``: the plans, a few a page so that the paging is exercised.
        self.plans: list[dict[str, Any]] = []
        self.plans_per_page = 2
        # Run once, at the first page: what the projector does while the snapshot is read.
        self.during_fetch: Callable[[], object] | None = None

    @property
    def paths(self) -> list[str]:
        return self.asked

    def respond(self, path: str) -> tuple[int, Any]:
        url = urlsplit(path)
        if url.path == "/internal/pledges/campaigns":
            return 200, {"campaign_ids": sorted({p["campaign_id"] for p in self.pledges})}
        if url.path == "/internal/plans":
            return 200, self.plans_answer(url.query)
        if url.path != "/internal/pledges":
            return 404, {"detail": "No resource at this path."}
        during_fetch, self.during_fetch = self.during_fetch, None
        if during_fetch is not None:
            during_fetch()
        query = {key: int(values[0]) for key, values in parse_qs(url.query).items()}
        matching = sorted(
            (
                pledge
                for pledge in self.pledges
                if pledge["campaign_id"] == query["campaign_id"]
                and pledge["pledge_id"] > query.get("after", 0)
            ),
            key=lambda pledge: pledge["pledge_id"],
        )
        page = matching[: query["limit"]]
        more = len(matching) > query["limit"]
        return 200, {"results": page, "next_after": page[-1]["pledge_id"] if more else None}

    def plans_answer(self, query_string: str) -> dict[str, Any]:
        query = {key: int(values[0]) for key, values in parse_qs(query_string).items()}
        matching = sorted(
            (
                plan
                for plan in self.plans
                if plan["campaign_id"] == query["campaign_id"]
                and plan["plan_id"] > query.get("after", 0)
            ),
            key=lambda plan: plan["plan_id"],
        )
        page = matching[: self.plans_per_page]
        more = len(matching) > self.plans_per_page
        return {"results": page, "next_after": page[-1]["plan_id"] if more else None}


@pytest.fixture
def pledge_service(settings: Any) -> Iterator[PledgeServiceStandIn]:
    stand_in = PledgeServiceStandIn(secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    with fake_peer(settings, "pledge", peer=stand_in):
        yield stand_in
