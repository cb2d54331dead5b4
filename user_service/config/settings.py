"""user_service: users, roles, password hashes and the JWT signing key."""

from careforall_common.settings import *
from careforall_common.settings import (
    JWT_PRIVATE_KEY_FILE,
    SIMPLE_JWT,
    database,
    logging_config,
    read_key,
)

SERVICE_NAME = "user"
INSTALLED_APPS = [*SHARED_APPS, "accounts"]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
# Only this service holds the private key.
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": read_key(JWT_PRIVATE_KEY_FILE)}

# The session cookie covers the whole site so the gateway can ask this service whether the
# visitor of /flower/ is signed-in staff.
SESSION_COOKIE_NAME = "cfa_user_session"
SESSION_COOKIE_PATH = "/"
CSRF_COOKIE_NAME = "cfa_user_csrftoken"
CSRF_COOKIE_PATH = "/admin/users/"
