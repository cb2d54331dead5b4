"""campaign_service: campaigns, their Django admin (the platform's main one) and the read model."""

from careforall_common.settings import *
from careforall_common.settings import (
    INBOX_BEAT_SCHEDULE,
    OUTBOX_BEAT_SCHEDULE,
    SHARED_APPS,
    database,
    logging_config,
)

SERVICE_NAME = "campaign"
INSTALLED_APPS = [
    *SHARED_APPS,
    "careforall_common.outbox",
    "careforall_common.inbox",
    "campaigns",
]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

CAREFORALL = {
    **CAREFORALL,
    # pledge_service keeps a copy of the campaign facts it checks a pledge against (SPEC §4).
    "OUTBOX_ROUTES": {"CAMPAIGN_CHANGED": ["pledge"]},
    # The read model's projector (SPEC §3, §4).
    "EVENT_HANDLERS": {
        "PLEDGE_CREATED": "campaigns.projector.pledge_created",
        "PLEDGE_STATUS_CHANGED": "campaigns.projector.pledge_status_changed",
        "PAYMENT_AUTHORIZED": "campaigns.projector.payment_event",
        "PAYMENT_CAPTURED": "campaigns.projector.payment_event",
        "PAYMENT_FAILED": "campaigns.projector.payment_event",
    },
}
CELERY_BEAT_SCHEDULE = {**OUTBOX_BEAT_SCHEDULE, **INBOX_BEAT_SCHEDULE}

# The default AUTHENTICATION_BACKENDS stay: staff sign in to this admin with their platform
# account, checked by user_service (SPEC §3).
SESSION_COOKIE_NAME = "cfa_campaign_session"
SESSION_COOKIE_PATH = "/admin/"
CSRF_COOKIE_NAME = "cfa_campaign_csrftoken"
CSRF_COOKIE_PATH = "/admin/"
