"""What the Celery app tells Flower: the workers' task events, and no event per send."""

from __future__ import annotations

from config.celery import app


def test_workers_send_task_events_and_senders_none() -> None:
    # Flower's task list and metrics come from the workers' events (received, started,
    # succeeded, …); a task-sent event would be a second publish on every send.
    assert app.conf.worker_send_task_events is True
    assert app.conf.task_send_sent_event is False
