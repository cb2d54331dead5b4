from django.contrib.admin.apps import AdminConfig


class CampaignAdminConfig(AdminConfig):
    """Django's admin, with the dashboard's site as ``admin.site`` (every ``register`` too)."""

    default_site = "dashboard.site.CampaignAdminSite"
