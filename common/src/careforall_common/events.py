"""Moved to ``careforall_common.contracts.events``; this name stays until every import moves."""

from careforall_common.contracts.events import *  # noqa: F403
from careforall_common.contracts.events import (  # noqa: F401
    EVENT_TYPES,
    ContractError,
    Envelope,
    Event,
    event_parse,
    timestamp_parse,
)
