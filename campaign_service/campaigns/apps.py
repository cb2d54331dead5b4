from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from campaigns import cache

    cache.campaign_saved(instance)


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from campaigns import cache

    cache.campaign_deleted(instance.pk)


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # Edits (API, admin) keep the gateway's cached reads fresh; the projector calls the
        # cache itself, since its F-expression updates send no signals.
        post_save.connect(_saved, sender="campaigns.Campaign", dispatch_uid="campaign-cache-save")
        post_delete.connect(
            _deleted, sender="campaigns.Campaign", dispatch_uid="campaign-cache-delete"
        )
