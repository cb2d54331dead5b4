from django.apps import AppConfig


class DefenceConfig(AppConfig):
    """The card-testing defence at the payment door (SPEC §3, docs/card-testing.md)."""

    name = "defence"

    def ready(self) -> None:
        # Loaded once the models are (Django's rule for ready()), not to break a cycle.
        from careforall_common.metrics import collector_add
        from defence.metrics import ChallengeCollector

        collector_add(ChallengeCollector())
