"""The test project's routes with the Django admin (tests of careforall_common.middleware)."""

from django.contrib import admin
from django.urls import path

from tests.urls import urlpatterns as api_urlpatterns

urlpatterns = [*api_urlpatterns, path("admin/", admin.site.urls)]
