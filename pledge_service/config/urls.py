from django.contrib import admin
from django.urls import include, path

from careforall_common.health import health
from careforall_common.metrics import metrics

admin.site.site_header = "CareForAll pledges"

urlpatterns = [
    path("api/health/pledge", health),
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("", include("pledges.urls")),
    path("admin/pledges/", admin.site.urls),
]
