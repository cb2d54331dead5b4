from __future__ import annotations

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class CareForAllCommonConfig(AppConfig):
    name = "careforall_common"
    verbose_name = "CareForAll common"

    def ready(self) -> None:
        from careforall_common import admin_auth, checks

        admin_auth.connect()

        from django.conf import settings

        from careforall_common.tracing import tracing_setup

        tracing_setup(getattr(settings, "SERVICE_NAME", ""))  # only when OTEL_* asks for it

        # gunicorn and Celery run no system checks: refuse to start here instead.
        errors = checks.secret_errors()
        if errors:
            raise ImproperlyConfigured(" ".join(str(error.msg) for error in errors))
