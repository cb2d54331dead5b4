"""The sender is woken by the task's registered name, which stays stable."""

from __future__ import annotations

import json
from typing import Any

import redis

from config.celery import app
from notices.services import wake_sender
from pledges.tests.conftest import TEST_QUEUE


def test_the_task_names_are_registered() -> None:
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery

    assert {"notices.send", "pledges.idempotency_prune"} <= set(app.tasks)


def test_the_wake_up_sends_the_send_task_by_name(settings: Any) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(TEST_QUEUE)

    wake_sender()

    messages = [json.loads(raw) for raw in client.lrange(TEST_QUEUE, 0, -1)]
    client.delete(TEST_QUEUE)
    assert [message["headers"]["task"] for message in messages] == ["notices.send"]
    assert messages[0]["headers"]["expires"] is not None
