"""pledge_service: pledges, idempotency records, the pledge state machine, its outbox."""

from careforall_common.settings import *
from careforall_common.settings import database, logging_config

SERVICE_NAME = "pledge"
INSTALLED_APPS = [*SHARED_APPS, "pledges"]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

SESSION_COOKIE_NAME = "cfa_pledge_session"
SESSION_COOKIE_PATH = "/admin/pledges/"
CSRF_COOKIE_NAME = "cfa_pledge_csrftoken"
CSRF_COOKIE_PATH = "/admin/pledges/"
