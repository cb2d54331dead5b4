from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class PaymentsConfig(AppConfig):
    """Payments: intents, their capture, the pledge's one payment (SPEC §3)."""

    name = "payments"

    def ready(self) -> None:
        # Loaded once the models are (Django's rule for ready()), not to break a cycle.
        from careforall_common.metrics import collector_add
        from payments import checks
        from payments.metrics import PaymentsCollector

        collector_add(PaymentsCollector())

        # gunicorn and Celery run no system checks: refuse to start here instead.
        errors = checks.provider_errors()
        if errors:
            raise ImproperlyConfigured(" ".join(str(error.msg) for error in errors))
