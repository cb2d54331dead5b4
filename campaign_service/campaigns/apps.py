from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Campaigns and their read model.

    The gateway's cached reads are refreshed by the writers themselves (``campaigns.services``,
    the projector, a reconciliation repair), never by signals.
    """

    name = "campaigns"
