from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "recurring plans"

    def ready(self) -> None:
        from plans import checks  # registers the system check

        # gunicorn and Celery run no system checks: refuse to start here instead.
        errors = checks.schedule_errors()
        if errors:
            raise ImproperlyConfigured(" ".join(str(error.msg) for error in errors))
