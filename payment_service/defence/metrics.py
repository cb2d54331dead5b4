"""The challenge at ``/internal/metrics`` (see ``careforall_common.metrics``), read from Redis at
scrape time: whether it is on now, and the mode staff chose. Loaded by ``DefenceConfig.ready``.
The times auto mode switched it on are ``careforall_challenge_switched_on_total``
(``careforall_common.defence.attempts``); the alert ``ChallengeSwitchedOn`` watches them."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from careforall_common.defence.challenge import MODES, challenge_state


class ChallengeCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = challenge_state()
        active = GaugeMetricFamily(
            "careforall_challenge_active",
            "1 while guests must answer the challenge before paying, else 0.",
        )
        active.add_metric([], 1 if state.active else 0)
        yield active
        mode = GaugeMetricFamily(
            "careforall_challenge_mode",
            "The challenge mode staff chose (off, on, auto): 1 for the current one.",
            labels=["mode"],
        )
        for name in MODES:
            mode.add_metric([name], 1 if state.mode == name else 0)
        yield mode
