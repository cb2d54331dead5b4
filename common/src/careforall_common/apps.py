from __future__ import annotations

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class CareForAllCommonConfig(AppConfig):
    name = "careforall_common"
    verbose_name = "CareForAll common"

    def ready(self) -> None:
        from careforall_common import admin_auth, checks

        admin_auth.connect()

        # gunicorn and Celery run no system checks: refuse to start here instead.
        errors = checks.secret_errors()
        if errors:
            raise ImproperlyConfigured(" ".join(str(error.msg) for error in errors))
