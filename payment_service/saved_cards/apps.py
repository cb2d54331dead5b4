from django.apps import AppConfig


class SavedCardsConfig(AppConfig):
    """Recurring plans' saved cards and their off-session charges (docs/recurring.md)."""

    name = "saved_cards"
