from django.contrib import admin
from django.urls import include, path

from careforall_common.health import health
from careforall_common.metrics import metrics

admin.site.site_header = "CareForAll payments"

urlpatterns = [
    path("api/health/payment", health),
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("", include("payments.urls")),
    path("admin/payments/", admin.site.urls),
]
