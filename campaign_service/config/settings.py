"""campaign_service: campaigns, their Django admin (the platform's main one) and the read model."""

from careforall_common.settings import *
from careforall_common.settings import SHARED_APPS, database, logging_config

SERVICE_NAME = "campaign"
INSTALLED_APPS = [*SHARED_APPS, "campaigns"]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

# The default AUTHENTICATION_BACKENDS stay: staff sign in to this admin with their platform
# account, checked by user_service (SPEC §3).
SESSION_COOKIE_NAME = "cfa_campaign_session"
SESSION_COOKIE_PATH = "/admin/"
CSRF_COOKIE_NAME = "cfa_campaign_csrftoken"
CSRF_COOKIE_PATH = "/admin/"
