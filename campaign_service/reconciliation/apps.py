from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    """The record of each reconciliation run (SPEC §5.2): the dashboard and the alert read it."""

    name = "reconciliation"

    def ready(self) -> None:
        from careforall_common.metrics import collector_add
        from reconciliation.metrics import ReconciliationCollector

        collector_add(ReconciliationCollector())
