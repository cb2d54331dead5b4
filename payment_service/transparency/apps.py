from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    """Each captured payment's salt and its entry in the campaign's transparency log (SPEC §3):
    the commitment goes out in ``PAYMENT_CAPTURED``, the index comes back in ``CAPTURE_LOGGED``,
    and only the payment's donor is ever given the salt."""

    name = "transparency"
    label = "payment_transparency"
    verbose_name = "transparency log"
