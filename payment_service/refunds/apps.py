from django.apps import AppConfig


class RefundsConfig(AppConfig):
    """Refunds and disputes: money that goes back to the donor (SPEC §3)."""

    name = "refunds"

    def ready(self) -> None:
        # Loaded once the models are (Django's rule for ready()), not to break a cycle.
        from careforall_common.metrics import collector_add
        from refunds.metrics import RefundsCollector

        collector_add(RefundsCollector())
