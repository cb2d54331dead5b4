"""A minimal project for testing the shared package on its own."""

from careforall_common.settings import *
from careforall_common.settings import database, logging_config

SERVICE_NAME = "common"
INSTALLED_APPS = [
    *SHARED_APPS,
    "careforall_common.outbox",
    "careforall_common.inbox",
    "tests.records",
]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)
ROOT_URLCONF = "tests.urls"
CAREFORALL = {
    **CAREFORALL,
    "SERVICE_URLS": {**SERVICE_URLS, "sink": "http://127.0.0.1:18999"},
    "OUTBOX_ROUTES": {"THING_HAPPENED": ["sink"], "THING_CHANGED": ["sink", "sink2"]},
    "EVENT_HANDLERS": {"THING_HAPPENED": "tests.handlers.thing_happened"},
}
