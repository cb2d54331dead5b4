from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff dashboard at the admin's index: no models, its template and its figures."""

    name = "dashboard"
