"""user_service: users, roles, password hashes and the JWT signing key."""

from careforall_common.settings import *
from careforall_common.settings import (
    DATABASE_PREFIX,
    JWT_PRIVATE_KEY_FILE,
    REDIS_URL,
    SIMPLE_JWT,
    database,
    env,
    logging_config,
    read_key,
)

SERVICE_NAME = "user"
# token_blacklist: refresh tokens rotate on use and can be signed out (SPEC §3).
# drf_spectacular_sidecar: Swagger UI's files for /api/docs/, collected with this service's static.
INSTALLED_APPS = [
    *SHARED_APPS,
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular_sidecar",
    "accounts",
]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
# Only this service holds the private key.
SIMPLE_JWT = {
    **SIMPLE_JWT,
    "SIGNING_KEY": read_key(JWT_PRIVATE_KEY_FILE),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

# The session cookie covers the whole site so the gateway can ask this service whether the
# visitor of /flower/ is signed-in staff.
SESSION_COOKIE_NAME = "cfa_user_session"
SESSION_COOKIE_PATH = "/"
CSRF_COOKIE_NAME = "cfa_user_csrftoken"
CSRF_COOKIE_PATH = "/admin/users/"
# The gateway's check of a /flower/ visitor reads that session too.
ADMIN_PATHS = ["/admin/", "/internal/auth/staff"]

# Per-account slow-down of failed sign-ins (accounts.throttle), in Redis so that every process
# and replica counts together.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "sign_in": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{DATABASE_PREFIX}user",
        "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    },
}
SIGN_IN_FREE_FAILURES = env.int("SIGN_IN_FREE_FAILURES", default=5)
SIGN_IN_MAX_DELAY_SECONDS = env.int("SIGN_IN_MAX_DELAY_SECONDS", default=300)
SIGN_IN_FAILURE_WINDOW_SECONDS = env.int("SIGN_IN_FAILURE_WINDOW_SECONDS", default=3600)
