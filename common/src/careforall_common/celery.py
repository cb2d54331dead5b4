"""The Celery app of a service and the defaults of its tasks (STYLE §3)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from celery import Celery, current_app, shared_task


def make_celery(service: str) -> Celery:
    """Return the Celery app of ``service``, configured from its Django settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    app = Celery(service)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # One broker for the platform, one queue per service: a worker runs only its own tasks.
    app.conf.task_default_queue = service
    # For Flower: its task list and metrics come from the workers' events (received, started,
    # succeeded, failed, retried). No task-sent event: it would be a second publish on every
    # send from a web process, and tells Flower only of tasks that no worker has received yet
    # (the queues' lengths, on Flower's broker page, say as much).
    app.conf.worker_send_task_events = True
    app.conf.task_send_sent_event = False
    app.autodiscover_tasks()
    from careforall_common.heartbeat import WorkerHeartbeat

    app.steps["worker"].add(WorkerHeartbeat)  # read by /internal/health/workers
    return app


def careforall_task(*, name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Register a task with the platform's defaults: late acks, no result, bounded time."""
    defaults: dict[str, Any] = {
        "acks_late": True,
        "ignore_result": True,
        "time_limit": 60,
        "soft_time_limit": 50,
    }
    return shared_task(name=name, **{**defaults, **options})


def task_send(name: str, **options: Any) -> None:
    """Send the task registered as ``name``, by its name (``kwargs=``, ``expires=``, …).

    Services start work this way and never import a ``tasks`` module, so that imports run one
    way only: tasks → services → models (docs/architecture.md). The task's own options that
    ``apply_async`` would add (``expires``) are the caller's to pass.
    """
    current_app.send_task(name, **options)
