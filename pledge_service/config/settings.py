"""pledge_service: pledges, idempotency records, the pledge state machine, its outbox."""

import environ

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
from notices.schedules import WhenNoticesDue
from plans.schedules import WhenPlansDue

SERVICE_NAME = "pledge"
INSTALLED_APPS = [
    *SHARED_APPS,
    "careforall_common.outbox",
    "careforall_common.inbox",
    "pledges",
    "notices",
    "plans",
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
        "PLAN_CHANGED": ["campaign"],
        "INSTALLMENT_DUE": ["payment"],
    },
    "EVENT_HANDLERS": {
        "PAYMENT_AUTHORIZED": "pledges.handlers.payment_authorized",
        "PAYMENT_CAPTURED": "pledges.handlers.payment_captured",
        "PAYMENT_FAILED": "pledges.handlers.payment_failed",
        "PAYMENT_REFUNDED": "pledges.handlers.payment_refunded",
        "PAYMENT_REFUND_FAILED": "pledges.handlers.payment_refund_failed",
        "CAMPAIGN_CHANGED": "pledges.handlers.campaign_changed",
        "PLAN_CARD_CHANGED": "plans.handlers.plan_card_changed",
    },
}

# Recurring gifts (docs/recurring.md). How long one day of the schedule lasts: below 86400 only
# in development and tests (plans/checks.py refuses it otherwise); a month is then 30 such days.
RECURRING_DAY_SECONDS = env.float("RECURRING_DAY_SECONDS", default=86400.0)
# A declined installment is tried again these many days after its first decline; the failure
# of the last try cancels the plan.
RECURRING_RETRY_DAYS = env.list("RECURRING_RETRY_DAYS", cast=float, default=[1.0, 3.0, 7.0])
# A period that fell due longer ago than this (an outage) is recorded skipped, never charged.
RECURRING_SKIP_AFTER_DAYS = env.float("RECURRING_SKIP_AFTER_DAYS", default=7.0)
# How often beat looks for a due plan (one indexed query; a task only when one is due).
RECURRING_SWEEP_SECONDS = env.float("RECURRING_SWEEP_SECONDS", default=10.0)
# Read here too: with it, a production process may run a compressed schedule (a demo).
CAREFORALL_SANDBOX = env.bool("CAREFORALL_SANDBOX", default=False)
# SPEC §3 "Card-testing defence": guest gifts (pledges and plans) below this are refused (400).
MIN_GUEST_AMOUNT = env.int("MIN_GUEST_AMOUNT", default=500)

CELERY_BEAT_SCHEDULE = {
    **OUTBOX_BEAT_SCHEDULE,
    **INBOX_BEAT_SCHEDULE,
    "idempotency-prune": {"task": "pledges.idempotency_prune", "schedule": 3600.0},
    # Donor emails: a task only when one is due (notices/schedules.py); wake-ups do the rest.
    "notices-send-sweep": {
        "task": "notices.send",
        "schedule": WhenNoticesDue(5.0),
        "options": {"expires": 10},
    },
    # Recurring plans: a task only while a plan is due (plans/schedules.py), never per plan.
    "plans-charge-due": {
        "task": "plans.charge_due",
        "schedule": WhenPlansDue(RECURRING_SWEEP_SECONDS),
        "options": {"expires": RECURRING_SWEEP_SECONDS},
    },
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

# Donor emails (docs/payments.md "Receipts"), sent with Django's email framework. EMAIL_URL is
# django-environ's: smtp://host:port, smtp+tls://user:password@host:587, smtp+ssl://…:465.
# Unset, mail goes to the development sink that scripts/up starts (SMTP_PORT, 1025); with
# DJANGO_DEBUG=false a system check warns (notices/checks.py).
DEV_EMAIL_URL = "smtp://127.0.0.1:1025"
EMAIL_URL = env.str("EMAIL_URL", default="")
_email = environ.Env.email_url_config(EMAIL_URL or DEV_EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", "")
# Seconds per SMTP operation: a send stays well inside a task's time limit.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="CareForAll receipts <receipts@careforall.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The domain of the emails' Message-ID (the same for every copy of one notice).
NOTICE_MESSAGE_ID_DOMAIN = env.str("NOTICE_MESSAGE_ID_DOMAIN", default="careforall.local")
# The charity's name, as receipts sign them.
CHARITY_NAME = env.str("CHARITY_NAME", default="CareForAll")
# Where donors open the site: the receipt links in emails start with it.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8080")
# Timeout of the campaign title read at send time; a failure sends the email later.
NOTICE_CAMPAIGN_TIMEOUT = env.float("NOTICE_CAMPAIGN_TIMEOUT", default=2.0)
# Retries of an email not sent: exponential from the base, capped, forever.
NOTICE_BACKOFF_BASE = env.float("NOTICE_BACKOFF_BASE", default=2.0)
NOTICE_BACKOFF_CAP = env.float("NOTICE_BACKOFF_CAP", default=300.0)
# How long a sender's claim on an email holds; its task may run half of it (notices/tasks.py).
NOTICE_LEASE_SECONDS = env.float("NOTICE_LEASE_SECONDS", default=120.0)
