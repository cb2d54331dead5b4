from django.contrib import admin
from django.urls import path

from careforall_common.health import health

admin.site.site_header = "CareForAll pledges"

urlpatterns = [
    path("api/health/pledge", health),
    path("admin/pledges/", admin.site.urls),
]
