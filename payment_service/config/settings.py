"""payment_service: payments, provider calls and webhooks, the payment state machine, its outbox."""

from careforall_common.settings import *
from careforall_common.settings import database, logging_config

SERVICE_NAME = "payment"
INSTALLED_APPS = [*SHARED_APPS, "payments"]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

SESSION_COOKIE_NAME = "cfa_payment_session"
SESSION_COOKIE_PATH = "/admin/payments/"
CSRF_COOKIE_NAME = "cfa_payment_csrftoken"
CSRF_COOKIE_PATH = "/admin/payments/"
