"""A line campaign_service logs while it applies a pledge's event carries that pledge's request id
(SPEC §2: every log line of a request carries its id, the consumer's included)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from campaigns.tests.factories import campaign_make, pledge_created
from careforall_common.logging import ContextFilter

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


class Remember(logging.Handler):
    """The records of the projector's logger, with the context the JSON lines get."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(ContextFilter("campaign"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def projector_log() -> Iterator[Remember]:
    handler = Remember()
    log = logging.getLogger("campaigns.projector")
    log.addHandler(handler)
    yield handler
    log.removeHandler(handler)


def from_request(event: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {**event, "request_id": request_id}


def test_a_line_logged_while_applying_a_pledge_event_carries_its_request_id(
    deliver: Deliver, projector_log: Remember
) -> None:
    campaign = campaign_make(currency="eur")
    # A pledge in another currency counts, with a warning (campaigns/projector.py).
    event = pledge_created(campaign, pledge_id=41, amount=500, currency="usd")

    assert deliver(from_request(event, "donor-request-41")) == ["processed"]

    [line] = projector_log.records
    assert line.getMessage() == f"pledge 41 is in usd, campaign {campaign.pk} in eur"
    assert line.request_id == "donor-request-41"  # type: ignore[attr-defined]
    assert line.service == "campaign"  # type: ignore[attr-defined]


def test_a_line_of_a_batch_of_several_requests_carries_each_of_their_ids(
    deliver: Deliver, projector_log: Remember
) -> None:
    campaign = campaign_make(currency="eur")
    odd = pledge_created(campaign, pledge_id=42, amount=500, currency="usd")
    plain = pledge_created(campaign, pledge_id=43, amount=700, currency="eur")

    outcome = deliver(
        from_request(odd, "donor-request-42"), from_request(plain, "donor-request-43")
    )

    assert outcome == ["processed", "processed"]
    [line] = projector_log.records
    assert line.getMessage() == f"pledge 42 is in usd, campaign {campaign.pk} in eur"
    assert line.request_id == "donor-request-42,donor-request-43"  # type: ignore[attr-defined]
