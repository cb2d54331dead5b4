"""campaign_service: campaigns, their Django admin (the platform's main one) and the read model."""

from careforall_common.settings import *
from careforall_common.settings import (
    CAREFORALL_SANDBOX,
    DEBUG,
    INBOX_BEAT_SCHEDULE,
    KEYS_DIR,
    OUTBOX_BEAT_SCHEDULE,
    SHARED_APPS,
    database,
    env,
    logging_config,
)
from transparency.schedules import WhenCheckpointDue

SERVICE_NAME = "campaign"
INSTALLED_APPS = [
    # The platform's main admin opens on the staff dashboard (dashboard.site).
    *(
        "dashboard.admin_config.CampaignAdminConfig" if app == "django.contrib.admin" else app
        for app in SHARED_APPS
    ),
    "careforall_common.outbox",
    "careforall_common.inbox",
    "campaigns",
    "reconciliation",
    "dashboard",
    "transparency",
]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

CAREFORALL = {
    **CAREFORALL,
    # pledge_service keeps a copy of the campaign facts it checks a pledge against (SPEC §4).
    # payment_service keeps each capture's index in its campaign's transparency log (SPEC §3).
    "OUTBOX_ROUTES": {"CAMPAIGN_CHANGED": ["pledge"], "CAPTURE_LOGGED": ["payment"]},
    # The read model's projector (SPEC §3, §4).
    "EVENT_HANDLERS": {
        "PLEDGE_CREATED": "campaigns.handlers.read_model_event_handle",
        "PLEDGE_STATUS_CHANGED": "campaigns.handlers.read_model_event_handle",
        "PAYMENT_AUTHORIZED": "campaigns.handlers.read_model_event_handle",
        "PAYMENT_CAPTURED": "campaigns.handlers.read_model_event_handle",
        "PAYMENT_FAILED": "campaigns.handlers.read_model_event_handle",
        "PAYMENT_REFUNDED": "campaigns.handlers.read_model_event_handle",
        "PAYMENT_REFUND_FAILED": "campaigns.handlers.read_model_event_handle",
        "PLAN_CHANGED": "campaigns.handlers.read_model_event_handle",
    },
    # A delivered batch is applied in one transaction, one update per campaign.
    "EVENT_BATCH_HANDLER": "campaigns.handlers.read_model_events_handle",
}
CELERY_BEAT_SCHEDULE = {
    **OUTBOX_BEAT_SCHEDULE,
    **INBOX_BEAT_SCHEDULE,
    # The read model against the pledges, compare only; each run is recorded (reconciliation).
    "read-model-reconcile": {
        "task": "reconciliation.run",
        "schedule": env.float("CAMPAIGN_RECONCILE_EVERY_SECONDS", default=3600.0),
        "options": {"expires": 600},
    },
    # Beat looks every second and sends the task only while a log grew since its checkpoint:
    # a signed checkpoint within 5 s of a change, one per burst (transparency/checkpoints.py).
    "transparency-checkpoints": {
        "task": "transparency.checkpoints_sign",
        "schedule": WhenCheckpointDue(1.0),
        "options": {"expires": 5},
    },
}

# The default AUTHENTICATION_BACKENDS stay: staff sign in to this admin with their platform
# account, checked by user_service (SPEC §3).
SESSION_COOKIE_NAME = "cfa_campaign_session"
SESSION_COOKIE_PATH = "/admin/"
CSRF_COOKIE_NAME = "cfa_campaign_csrftoken"
CSRF_COOKIE_PATH = "/admin/"

# Public reads served by the gateway from memcached (campaigns/cache.py); empty turns it off.
CAMPAIGN_CACHE_URL = env.str("CAMPAIGN_CACHE_URL", default="")
# How long an entry may live: the bound on what a crash between its write and the commit leaves.
CAMPAIGN_CACHE_SECONDS = env.int("CAMPAIGN_CACHE_SECONDS", default=60)
CAMPAIGN_LIST_CACHE_SECONDS = env.int("CAMPAIGN_LIST_CACHE_SECONDS", default=1)

# The transparency logs (SPEC §3, docs/transparency.md): the Ed25519 key signing every
# checkpoint (made on first use in development when missing), and the public address whose host
# names the logs (origin "<host>/campaigns/<id>").
TRANSPARENCY_KEY_FILE = env.str("TRANSPARENCY_KEY_FILE", default=str(KEYS_DIR / "transparency.pem"))
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8080")
# The projector's appends to the logs; off only with DJANGO_DEBUG or CAREFORALL_SANDBOX (to measure
# their cost: scripts/bench transparency), else it stays on whatever is set.
TRANSPARENCY_LOG = env.bool("TRANSPARENCY_LOG", default=True) or not (DEBUG or CAREFORALL_SANDBOX)
