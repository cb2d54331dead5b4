from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    """Each campaign's transparency log (SPEC §3, docs/transparency.md): entries appended by the
    projector in its transaction, signed checkpoints, and the public read API."""

    name = "transparency"
    verbose_name = "transparency log"
