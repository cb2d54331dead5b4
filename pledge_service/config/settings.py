"""pledge_service: pledges, idempotency records, the pledge state machine, its outbox."""

from careforall_common.settings import *
from careforall_common.settings import (
    CAREFORALL,
    INBOX_BEAT_SCHEDULE,
    OUTBOX_BEAT_SCHEDULE,
    SECRET_KEY,
    SHARED_APPS,
    database,
    env,
    logging_config,
)

SERVICE_NAME = "pledge"
INSTALLED_APPS = [
    *SHARED_APPS,
    "careforall_common.outbox",
    "careforall_common.inbox",
    "pledges",
]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

SESSION_COOKIE_NAME = "cfa_pledge_session"
SESSION_COOKIE_PATH = "/admin/pledges/"
CSRF_COOKIE_NAME = "cfa_pledge_csrftoken"
CSRF_COOKIE_PATH = "/admin/pledges/"

CAREFORALL = {
    **CAREFORALL,
    "OUTBOX_ROUTES": {
        "PLEDGE_CREATED": ["campaign"],
        "PLEDGE_STATUS_CHANGED": ["campaign"],
    },
    "EVENT_HANDLERS": {
        "PAYMENT_AUTHORIZED": "pledges.events.payment_authorized",
        "PAYMENT_CAPTURED": "pledges.events.payment_captured",
        "PAYMENT_FAILED": "pledges.events.payment_failed",
        "PAYMENT_REFUNDED": "pledges.events.payment_refunded",
        "CAMPAIGN_CHANGED": "pledges.events.campaign_changed",
    },
}

CELERY_BEAT_SCHEDULE = {
    **OUTBOX_BEAT_SCHEDULE,
    **INBOX_BEAT_SCHEDULE,
    "idempotency-prune": {"task": "pledges.idempotency_prune", "schedule": 3600.0},
}

# Guests' receipt tokens are HMACs under this secret (docs/pledges.md); changing it invalidates
# every receipt token given out so far.
RECEIPT_SECRET = env.str("RECEIPT_SECRET", default=SECRET_KEY)
# The local copy of campaign facts (docs/pledges.md): an "active" fact older than this is
# confirmed with campaign_service before a pledge relies on it.
CAMPAIGN_FACTS_MAX_AGE = env.float("CAMPAIGN_FACTS_MAX_AGE", default=60.0)
# How long a process keeps a fact in memory before reading the table again.
CAMPAIGN_FACTS_CACHE_SECONDS = env.float("CAMPAIGN_FACTS_CACHE_SECONDS", default=2.0)
# Timeout of the signed read from campaign_service on a miss.
CAMPAIGN_FACTS_TIMEOUT = env.float("CAMPAIGN_FACTS_TIMEOUT", default=1.0)
# The longest a campaign hold lasts unless released (pledges.holds).
CAMPAIGN_HOLD_SECONDS = env.float("CAMPAIGN_HOLD_SECONDS", default=30.0)
