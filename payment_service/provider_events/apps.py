from django.apps import AppConfig


class ProviderEventsConfig(AppConfig):
    """The provider's side: its webhooks, reconciliation and the refund sweep (SPEC §3)."""

    name = "provider_events"
