"""Lazy access to the ``CAREFORALL`` settings dict, with defaults (never read at import time)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "SERVICE_URLS": {},
    "INTERNAL_EVENT_SECRET": "",
    "INTERNAL_SIGNATURE_TOLERANCE": 300,
    # v2 signatures (signing.py): this process's private key ("": <KEYS_DIR>/internal-<service>.pem)
    # and the directory of every service's public key ("": KEYS_DIR)
    "INTERNAL_SIGNING_KEY_FILE": "",
    "INTERNAL_VERIFY_KEYS_DIR": "",
    # "accept": v1 (the shared secret) is taken and sent too; anything else refuses it
    "INTERNAL_SIGNATURE_V1": "refuse",
    # event type → the one service that publishes it (SPEC §4's publisher column): the inbox
    # rejects an event signed (v2) by any other service, and admits at /internal/events only the
    # publishers of the types it handles
    "EVENT_PRODUCERS": {
        "PLEDGE_CREATED": "pledge",
        "PLEDGE_STATUS_CHANGED": "pledge",
        "PLAN_CHANGED": "pledge",
        "INSTALLMENT_DUE": "pledge",
        "PAYMENT_AUTHORIZED": "payment",
        "PAYMENT_CAPTURED": "payment",
        "PAYMENT_FAILED": "payment",
        "PAYMENT_REFUNDED": "payment",
        "PAYMENT_REFUND_FAILED": "payment",
        "PLAN_CARD_CHANGED": "payment",
        "CAMPAIGN_CHANGED": "campaign",
        "CAPTURE_LOGGED": "campaign",
    },
    "INTERNAL_HTTP_TIMEOUT": 5.0,
    # how long an admin session trusts user_service's last "still staff" (SPEC §3: within 60 s)
    "ADMIN_STAFF_RECHECK_SECONDS": 30,
    # event type → consumer services (their SERVICE_URLS key), for the outbox
    "OUTBOX_ROUTES": {},
    # event type → dotted path of the handler, for the inbox
    "EVENT_HANDLERS": {},
    # dotted path of a handler that applies a whole batch in one transaction (optional)
    "EVENT_BATCH_HANDLER": "",
    "OUTBOX_BATCH_SIZE": 200,
    "OUTBOX_LEASE_SECONDS": 20,
    "OUTBOX_BACKOFF_BASE": 0.5,
    "OUTBOX_BACKOFF_CAP": 300.0,
    "OUTBOX_RETENTION_DAYS": 7,
    "OUTBOX_WAKE_DEBOUNCE_MS": 100,
    # a relay waits this long before each look, so that a delivery carries what commits meanwhile
    "OUTBOX_LINGER_MS": 100,
    "OUTBOX_WAKE_PAUSE": 5.0,
    "OUTBOX_DRAIN_SECONDS": 20.0,
    "INBOX_RETENTION_DAYS": 30,
    # workers and beat write a heartbeat this often; it expires unless renewed (heartbeat.py)
    "HEARTBEAT_SECONDS": 15.0,
    "HEARTBEAT_TTL_SECONDS": 60,
}


class CareForAllSettings:
    """Attribute access to ``settings.CAREFORALL[name]``, falling back to ``DEFAULTS``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(settings, "CAREFORALL", {}).get(name, DEFAULTS[name])


careforall_settings = CareForAllSettings()
