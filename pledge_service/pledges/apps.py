from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"

    def ready(self) -> None:
        from pledges import checks  # noqa: F401 (registers the system checks)
