from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "careforall_common.outbox"
    label = "outbox"
    verbose_name = "Outbox (events to deliver)"
