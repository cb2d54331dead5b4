"""Liveness, and the health of the workers and beat from their heartbeats (issue 12)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.urls import path

from careforall_common import heartbeat
from careforall_common.health import health, live, workers
from careforall_common.redis_client import redis_client

from .celery import app

urlpatterns = [
    path("api/health/common", health),
    path("internal/health/live", live),
    path("internal/health/workers", workers),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def no_heartbeats(settings: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[None]:
    """This test's own service name, so a platform running here never counts."""
    settings.SERVICE_NAME = f"health-test-{time.monotonic_ns()}"
    settings.CAREFORALL = {**settings.CAREFORALL, "HEARTBEAT_SECONDS": 0.2}
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield
    for key in redis_client().scan_iter(match=f"{heartbeat.KEY_PREFIX}:{settings.SERVICE_NAME}:*"):
        redis_client().delete(key)


def test_liveness_answers_without_the_database() -> None:
    # No django_db mark: a query here would fail the test.
    response = Client().get("/internal/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": response.json()["service"]}


def test_without_heartbeats_the_workers_are_unhealthy(settings: Any) -> None:
    response = Client().get("/internal/health/workers")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == f"No heartbeat of a worker or a beat of {settings.SERVICE_NAME}."
    assert body["worker"] == []
    assert body["beat"] == []


def test_a_worker_and_a_beat_heartbeat_make_them_healthy_until_they_stop() -> None:
    heartbeat.heartbeat_write("worker", "common@host-a")
    heartbeat.heartbeat_write("beat", "host-b")

    response = Client().get("/internal/health/workers")

    assert response.status_code == 200
    body = response.json()
    assert [b["node"] for b in body["worker"]] == ["common@host-a"]
    assert [b["node"] for b in body["beat"]] == ["host-b"]
    assert 0 <= body["worker"][0]["age_seconds"] < 5

    heartbeat.heartbeat_clear("beat", "host-b")

    response = Client().get("/internal/health/workers")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("No heartbeat of a beat of ")


def test_a_heartbeat_expires(settings: Any) -> None:
    settings.CAREFORALL = {**settings.CAREFORALL, "HEARTBEAT_TTL_SECONDS": 1}
    heartbeat.heartbeat_write("worker", "common@host-a")
    heartbeat.heartbeat_write("beat", "host-b")
    assert Client().get("/internal/health/workers").status_code == 200

    time.sleep(1.5)

    assert Client().get("/internal/health/workers").status_code == 503


def test_a_running_worker_beats_from_its_timer_and_forgets_its_heartbeat_on_stop(
    settings: Any, tmp_path: Path
) -> None:
    beat_file = tmp_path / f"careforall-{settings.SERVICE_NAME}-worker.heartbeat"
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        first = beat_file.stat().st_mtime
        time.sleep(0.6)
        assert beat_file.stat().st_mtime > first  # renewed by the timer
        [found] = heartbeat.heartbeats_read(settings.SERVICE_NAME)
        assert found.role == "worker"

    assert heartbeat.heartbeats_read(settings.SERVICE_NAME) == []


def test_beat_beats_from_its_tick_and_never_sleeps_past_a_heartbeat(
    settings: Any, tmp_path: Path
) -> None:
    scheduler = heartbeat.BeatScheduler(
        app=app, schedule_filename=str(tmp_path / "schedule"), lazy=False
    )
    try:
        assert scheduler.tick() <= 0.2
        [found] = heartbeat.heartbeats_read(settings.SERVICE_NAME)
        assert (found.role, found.node) == ("beat", scheduler.node)
        assert (tmp_path / f"careforall-{settings.SERVICE_NAME}-beat.heartbeat").exists()
    finally:
        scheduler.close()
    assert heartbeat.heartbeats_read(settings.SERVICE_NAME) == []
