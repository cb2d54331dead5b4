"""Health (SPEC §3): 200 when the database answers and every migration is applied, else 503."""

from __future__ import annotations

import logging

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
