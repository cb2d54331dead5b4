"""payment_service: payments, provider calls and webhooks, the payment state machine, its outbox."""

from careforall_common.settings import *
from careforall_common.settings import (
    CAREFORALL,
    DEBUG,
    DEV_STRIPE_PUBLISHABLE_KEY,
    DEV_STRIPE_SECRET_KEY,
    DEV_STRIPE_WEBHOOK_SECRET,
    INBOX_BEAT_SCHEDULE,
    OUTBOX_BEAT_SCHEDULE,
    SHARED_APPS,
    database,
    env,
    logging_config,
)

SERVICE_NAME = "payment"
# payments: intents and their capture; refunds: refunds and disputes; provider_events: the
# provider's webhooks, reconciliation and the refund sweep (docs/payments.md); saved_cards:
# recurring plans' saved cards and off-session charges (docs/recurring.md); defence: the
# card-testing defence at the payment door (docs/card-testing.md).
INSTALLED_APPS = [
    *SHARED_APPS,
    "careforall_common.outbox",
    "careforall_common.inbox",
    "payments",
    "refunds",
    "provider_events",
    "defence",
    "saved_cards",
    "transparency",
]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)
# The SDK logs every request at INFO; its errors reach our own log lines.
LOGGING["loggers"]["stripe"] = {"level": "WARNING"}

SESSION_COOKIE_NAME = "cfa_payment_session"
SESSION_COOKIE_PATH = "/admin/payments/"
CSRF_COOKIE_NAME = "cfa_payment_csrftoken"
CSRF_COOKIE_PATH = "/admin/payments/"

CAREFORALL = {
    **CAREFORALL,
    "OUTBOX_ROUTES": {
        "PAYMENT_AUTHORIZED": ["pledge", "campaign"],
        "PAYMENT_CAPTURED": ["pledge", "campaign"],
        "PAYMENT_FAILED": ["pledge", "campaign"],
        "PAYMENT_REFUNDED": ["pledge", "campaign"],
        "PAYMENT_REFUND_FAILED": ["pledge", "campaign"],
        "PLAN_CARD_CHANGED": ["pledge"],
    },
    "EVENT_HANDLERS": {
        "INSTALLMENT_DUE": "saved_cards.handlers.installment_due",
        # A capture's index in its campaign's transparency log (SPEC §3).
        "CAPTURE_LOGGED": "transparency.handlers.capture_logged_handle",
    },
}

CELERY_BEAT_SCHEDULE = {
    **OUTBOX_BEAT_SCHEDULE,
    **INBOX_BEAT_SCHEDULE,
    "idempotency-prune": {"task": "payments.idempotency_prune", "schedule": 3600.0},
    "provider-event-prune": {"task": "payments.provider_event_prune", "schedule": 3600.0},
    # The safety net under the request path, the capture task and the webhooks (docs/payments.md).
    "provider-reconcile": {
        "task": "payments.reconcile",
        "schedule": env.float("PAYMENT_RECONCILE_EVERY_SECONDS", default=15.0),
        "options": {"expires": 15},
    },
    # Refunds no request, reply or webhook finished, and refunds and disputes whose webhook
    # was lost (provider_events.sweeps).
    "refunds-reconcile": {
        "task": "payments.refunds_reconcile",
        "schedule": env.float("REFUND_RECONCILE_EVERY_SECONDS", default=300.0),
        "options": {"expires": 60},
    },
}

# The provider (SPEC §3): the official SDK, pointed at the local sandbox while STRIPE_API_BASE is
# set (the development default), at Stripe itself when it is empty.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default=DEV_STRIPE_SECRET_KEY)
# careforall_common.checks refuses the development value while DJANGO_DEBUG is false.
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default=DEV_STRIPE_WEBHOOK_SECRET)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:12111" if DEBUG else "")
# With DJANGO_DEBUG false, a STRIPE_API_BASE (a sandbox: no money moves) is refused unless this is
# true on purpose, for a demo (careforall_common.checks, SPEC §3).
CAREFORALL_SANDBOX = env.bool("CAREFORALL_SANDBOX", default=False)
# Seconds per provider request, and the SDK's retries of a request that failed on the network,
# with a 409 or a 5xx (each retry reuses the request's idempotency key).
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Prefix of the deterministic idempotency keys sent to the provider, which keeps them for 24 h:
# change it when a new payment database starts against the same provider account within that
# time, or its payment ids (and so its keys) would repeat the old ones.
STRIPE_IDEMPOTENCY_PREFIX = env.str("STRIPE_IDEMPOTENCY_PREFIX", default="careforall")
STRIPE_WEBHOOK_TOLERANCE = 300  # seconds (SPEC §3)
# What the donor's browser gets to confirm a payment with Stripe.js (SPEC §3): the publishable
# key (the only key a browser ever sees) and the script. With the sandbox, its Stripe.js
# stand-in at the address browsers reach it by (STRIPE_API_BASE is the services' address).
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default=DEV_STRIPE_PUBLISHABLE_KEY)
STRIPE_JS_URL = env.str(
    "STRIPE_JS_URL",
    default=f"{STRIPE_API_BASE.rstrip('/')}/v3/"
    if STRIPE_API_BASE
    else "https://js.stripe.com/v3/",
)
# An intent the donor's browser has not confirmed this long after the payment was made is
# canceled, and the payment and its pledge end FAILED "abandoned" (SPEC §3).
PAYMENT_ABANDON_AFTER_SECONDS = env.float("PAYMENT_ABANDON_AFTER_SECONDS", default=3600.0)

# Timeout of the signed read of a pledge from pledge_service.
PLEDGE_SERVICE_TIMEOUT = env.float("PLEDGE_SERVICE_TIMEOUT", default=2.0)
# A payment still PROCESSING or AUTHORIZED this long after its last move is checked with the
# provider by the reconciliation task; later checks of the same payment back off with its age.
# Raw provider events are kept for deduplication well past Stripe's 3 days of redelivery.
PROVIDER_EVENT_RETENTION_DAYS = env.int("PROVIDER_EVENT_RETENTION_DAYS", default=30)
PAYMENT_RECONCILE_AFTER_SECONDS = env.float("PAYMENT_RECONCILE_AFTER_SECONDS", default=30.0)
# Past this age, a payment whose intent the provider never confirmed is given up as FAILED: the
# provider keeps idempotency keys 24 h, so creating it again later could make a second intent.
# A staff refund still pending this long (its request died, no repeat came) is sent again, or
# read at the provider once the provider's refund id is known.
REFUND_RETRY_AFTER_SECONDS = env.float("REFUND_RETRY_AFTER_SECONDS", default=60.0)
# Past this age a staff refund is never created again (the provider keeps idempotency keys
# 24 h, so a later create could make a second refund): it is looked for at the provider by its
# metadata, and failed as "provider_unconfirmed" when the provider has none.
REFUND_CREATE_RETRY_HOURS = env.float("REFUND_CREATE_RETRY_HOURS", default=23.0)
# How far back the refund sweep reads the provider's refunds and disputes (Stripe redelivers a
# webhook for 3 days).
PROVIDER_SWEEP_HOURS = env.float("PROVIDER_SWEEP_HOURS", default=72.0)
PAYMENT_CREATE_RETRY_HOURS = env.float("PAYMENT_CREATE_RETRY_HOURS", default=23.0)
