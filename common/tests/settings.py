"""A minimal project for testing the shared package on its own."""

from careforall_common.settings import *
from careforall_common.settings import database, logging_config

SERVICE_NAME = "common"
INSTALLED_APPS = [*SHARED_APPS]
DATABASES = {"default": database(SERVICE_NAME)}
LOGGING = logging_config(SERVICE_NAME)
ROOT_URLCONF = "tests.urls"
