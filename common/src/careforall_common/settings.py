"""Settings every service shares, read from the environment.

A service's ``config/settings.py`` star-imports this module, then names itself and its apps::

    from careforall_common.settings import *  # noqa: F403

    SERVICE_NAME = "pledge"
    DATABASES = {"default": database(SERVICE_NAME)}
    INSTALLED_APPS = [*SHARED_APPS, "pledges"]
    LOGGING = logging_config(SERVICE_NAME)

Defaults are safe for production: ``DJANGO_DEBUG`` is off unless ``scripts/up`` turns it on, and
with it off a default secret stops the process (see ``careforall_common.checks``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ

from careforall_common.logging import logging_config as _logging_config

# Lets models, admins and managers be subscripted at run time, as the type stubs describe them.
django_stubs_ext.monkeypatch()

# NAME_FILE, when set, names a file whose content is the value of NAME: compose and Kubernetes
# hand secrets over as files (/run/secrets/...), never as plain environment variables.
env = environ.FileAwareEnv()

# The repository root (services live one level below it); containers set it explicitly.
REPO_DIR = Path(env.str("CAREFORALL_HOME", default=str(Path(__file__).resolve().parents[3])))

DEV_SECRET_KEY = "django-insecure-careforall-development-only"
DEV_INTERNAL_EVENT_SECRET = "careforall-internal-development-only"
DEV_ADMIN_EMAIL = "admin@careforall.local"
DEV_ADMIN_PASSWORD = "careforall-admin"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_careforall_local"
DEV_STRIPE_SECRET_KEY = "sk_test_careforall"
DEV_STRIPE_PUBLISHABLE_KEY = "pk_test_careforall"  # the sandbox's; a browser may see it

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=[
        "localhost",
        "127.0.0.1",
        "[::1]",
        "gateway",
        # compose's network aliases: Django refuses host names with "_"
        "user-service",
        "campaign-service",
        "pledge-service",
        "payment-service",
    ],
)
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=["http://localhost:8080", "http://127.0.0.1:8080"]
)

INTERNAL_EVENT_SECRET = env.str("INTERNAL_EVENT_SECRET", default=DEV_INTERNAL_EVENT_SECRET)
ADMIN_EMAIL = env.str("ADMIN_EMAIL", default=DEV_ADMIN_EMAIL)
ADMIN_PASSWORD = env.str("ADMIN_PASSWORD", default=DEV_ADMIN_PASSWORD)

SERVICE_URLS = {
    "user": env.str("USER_SERVICE_URL", default="http://127.0.0.1:8001"),
    "campaign": env.str("CAMPAIGN_SERVICE_URL", default="http://127.0.0.1:8002"),
    "pledge": env.str("PLEDGE_SERVICE_URL", default="http://127.0.0.1:8003"),
    "payment": env.str("PAYMENT_SERVICE_URL", default="http://127.0.0.1:8004"),
}

SHARED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # the OpenAPI schema of the public API (scripts/openapi)
    "careforall_common",
]

# Outermost first: every response, the problem documents included, carries the request id.
# No CommonMiddleware: routes are exact (no slash redirects) and the hot paths skip its work.
MIDDLEWARE = [
    # Request counts and latency for /internal/metrics; METRICS_ENABLED=false leaves it out.
    *(["careforall_common.metrics.MetricsMiddleware"] if env.bool("METRICS_ENABLED", True) else []),
    "careforall_common.request_id.RequestIdMiddleware",
    "careforall_common.problems.ProblemDetailsMiddleware",
    # ADMIN_MIDDLEWARE, here, for ADMIN_PATHS only: the API needs none of it.
    "careforall_common.middleware.AdminOnlyMiddleware",
    # The headers of Django's SecurityMiddleware and XFrameOptionsMiddleware, in one pass.
    "careforall_common.middleware.SecurityHeadersMiddleware",
]
# The Django admin's middleware, in order (careforall_common.middleware).
ADMIN_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "careforall_common.admin_auth.StaffRecheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
# The paths that carry an admin session: the admin (a service may add one, see user_service).
ADMIN_PATHS = ["/admin/"]
# The admin's checks look for its middleware in MIDDLEWARE; it is in ADMIN_MIDDLEWARE instead.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"
ROOT_URLCONF = "config.urls"

DATABASE_URL = env.str("DATABASE_URL", default="mysql://root@127.0.0.1:3306")
DATABASE_PREFIX = env.str("DATABASE_PREFIX", default="careforall_")


def database(service: str) -> dict[str, Any]:
    """Return the ``DATABASES["default"]`` entry of ``service``: its own database on the server."""
    config: dict[str, Any] = environ.Env.db_url_config(DATABASE_URL)
    config["NAME"] = env.str("DATABASE_NAME", default=f"{DATABASE_PREFIX}{service}")
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    config["CONN_HEALTH_CHECKS"] = True
    config["OPTIONS"] = {
        "charset": "utf8mb4",
        # Strict mode on every connection, whatever the server's default: a value that does not
        # fit is an error, never a silent truncation.
        "init_command": "SET sql_mode='STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
        "isolation_level": "read committed",
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
    }
    config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every service but user_service signs staff in to its admin with their platform account.
AUTHENTICATION_BACKENDS = ["careforall_common.admin_auth.PlatformAccountBackend"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(REPO_DIR / "var" / "static"))

# Services share one host behind the gateway: each keeps its own cookies, under its own admin.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind HTTPS, session and CSRF cookies travel over HTTPS only.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["careforall_common.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["careforall_common.auth.PlatformJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "careforall_common.pagination.CursorPagination",
    "EXCEPTION_HANDLER": "careforall_common.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "careforall_common.openapi.PlatformAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CareForAll API",
    "DESCRIPTION": "The public API behind the gateway (SPEC §3). Errors are problem details.",
    "VERSION": "1",
    "PREPROCESSING_HOOKS": ["careforall_common.openapi.public_paths_only"],
    "SCHEMA_PATH_PREFIX": r"/api/",  # operation ids and tags from what follows it
    "SERVE_INCLUDE_SCHEMA": False,
}

KEYS_DIR = Path(env.str("CAREFORALL_KEYS_DIR", default=str(REPO_DIR / ".keys")))
JWT_PUBLIC_KEY_FILE = Path(env.str("JWT_PUBLIC_KEY_FILE", default=str(KEYS_DIR / "jwt_public.pem")))
JWT_PRIVATE_KEY_FILE = Path(
    env.str("JWT_PRIVATE_KEY_FILE", default=str(KEYS_DIR / "jwt_private.pem"))
)


def read_key(path: Path) -> str:
    """Return the PEM text at ``path``, or "" when it is missing (a system check reports it)."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


SIMPLE_JWT = {
    # Asymmetric (SPEC §2): only user_service holds the private key; the others verify with the
    # public key, locally, on every request: no call to user_service.
    "ALGORITHM": "RS256",
    "VERIFYING_KEY": read_key(JWT_PUBLIC_KEY_FILE),
    "SIGNING_KEY": "",
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
    "USER_ID_FIELD": "id",
    "TOKEN_USER_CLASS": "careforall_common.auth.PlatformUser",
    "ISSUER": "careforall",
    "LEEWAY": 5,
}

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_TIMEZONE = "UTC"
# Celery's default scheduler, writing beat's heartbeat from its tick (careforall_common.heartbeat).
CELERY_BEAT_SCHEDULER = "careforall_common.heartbeat:BeatScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log JSON lines like the web processes

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")


def logging_config(service: str) -> dict[str, Any]:
    """Return ``LOGGING`` for ``service`` (careforall_common.logging.logging_config)."""
    return _logging_config(service, level=LOG_LEVEL)


# Idempotency keys are kept at least 24 hours (SPEC §3); a system check refuses less.
IDEMPOTENCY_RETENTION_HOURS = env.int("IDEMPOTENCY_RETENTION_HOURS", default=48)


# Card-testing defence (SPEC §3, docs/card-testing.md): its settings live beside it.
from careforall_common.defence.settings import *  # noqa: E402, F403

# Settings of careforall_common itself, read lazily through careforall_common.conf.
CAREFORALL: dict[str, Any] = {
    "SERVICE_URLS": SERVICE_URLS,
    "INTERNAL_EVENT_SECRET": INTERNAL_EVENT_SECRET,
    # This service's own signing key ("": KEYS_DIR/internal-<service>.pem), the public keys, and
    # the shared-secret v1 signature: "accept" in development and migrations only (docs/security.md)
    "INTERNAL_SIGNING_KEY_FILE": env.str("INTERNAL_SIGNING_KEY_FILE", default=""),
    "INTERNAL_VERIFY_KEYS_DIR": env.str("INTERNAL_VERIFY_KEYS_DIR", default=str(KEYS_DIR)),
    "INTERNAL_SIGNATURE_V1": env.str(
        "INTERNAL_SIGNATURE_V1", default="refuse" if not DEBUG else "accept"
    ),
    "ADMIN_STAFF_RECHECK_SECONDS": env.int("ADMIN_STAFF_RECHECK_SECONDS", default=30),
}

from careforall_common.outbox.schedules import WhenOutboxDue as _WhenOutboxDue  # noqa: E402

# Beat entries of a service with an outbox: the sweep catches wake-ups lost in a crash.
OUTBOX_BEAT_SCHEDULE = {
    # Beat looks every second and sends the task only when a row is due (outbox/schedules.py).
    "outbox-relay-sweep": {
        "task": "careforall.outbox_relay",
        "schedule": _WhenOutboxDue(1.0),
        "options": {"expires": 5},
    },
    "outbox-prune": {"task": "careforall.outbox_prune", "schedule": 3600.0},
}
INBOX_BEAT_SCHEDULE = {
    "inbox-prune": {"task": "careforall.inbox_prune", "schedule": 3600.0},
}
