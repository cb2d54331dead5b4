"""Health of a service.

- ``health``, readiness (SPEC §3, ``GET /api/health/<service>``, public through the gateway):
  200 when the database answers and every migration is applied, else 503.
- ``live``, liveness (``GET /internal/health/live``): 200 while the process answers at all. No
  dependency is asked: a restart cannot cure a database outage, so an orchestrator that
  restarts on liveness must not see one.
- ``workers``, the service's Celery workers and beat (``GET /internal/health/workers``): 200
  while at least one worker and one beat of this service wrote a heartbeat within
  ``HEARTBEAT_TTL_SECONDS`` (``careforall_common.heartbeat``), 503 naming what is missing. A
  service without an outbox runs neither and answers 200.

The gateway never routes ``/internal/``: liveness and the workers' health are for probes and
operators inside the network.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from careforall_common.problems import problem_response

logger = logging.getLogger(__name__)

_migrated = False  # once true it stays true: a running process never un-applies migrations


def _unapplied_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Answer the service's health."""
    global _migrated
    service = getattr(settings, "SERVICE_NAME", "")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            unapplied = _unapplied_migrations()
            if unapplied:
                return problem_response(
                    503, f"{unapplied} migration(s) not applied.", service=service
                )
            _migrated = True
    except DatabaseError as error:
        logger.warning("health: database unreachable: %s", error)
        return problem_response(503, "The database is unreachable.", service=service)
    return JsonResponse({"status": "ok", "service": service, "database": "ok"})


@require_GET
def live(request: HttpRequest) -> HttpResponse:
    """Answer that the process is up; nothing else is checked."""
    return JsonResponse({"status": "ok", "service": getattr(settings, "SERVICE_NAME", "")})


@require_GET
def workers(request: HttpRequest) -> HttpResponse:
    """Answer the health of the service's workers and beat from their heartbeats."""
    from careforall_common.heartbeat import ROLES, heartbeats_read

    service = getattr(settings, "SERVICE_NAME", "")
    expected = ROLES if apps.is_installed("careforall_common.outbox") else ()
    try:
        found = heartbeats_read(service)
    except Exception as error:  # Redis, the broker, is away: no worker can work either
        logger.warning("health: heartbeats unreadable: %s", error)
        return problem_response(503, "The broker is unreachable.", service=service)
    figures = {
        role: [{"node": b.node, "age_seconds": b.age_seconds} for b in found if b.role == role]
        for role in ROLES
    }
    missing = [role for role in expected if not figures[role]]
    if missing:
        return problem_response(
            503,
            f"No heartbeat of a {' or a '.join(missing)} of {service}.",
            service=service,
            **figures,
        )
    return JsonResponse({"status": "ok", "service": service, **figures})
