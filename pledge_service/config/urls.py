from django.contrib import admin
from django.urls import include, path

from careforall_common.health import health

admin.site.site_header = "CareForAll pledges"

urlpatterns = [
    path("api/health/pledge", health),
    path("", include("pledges.urls")),
    path("admin/pledges/", admin.site.urls),
]
