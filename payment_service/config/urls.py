from django.contrib import admin
from django.urls import include, path, re_path

from careforall_common.health import health, live, workers
from careforall_common.metrics import metrics
from careforall_common.outbox.apis import OutboxWaitingInternalApi
from config.admin_moved import admin_moved

admin.site.site_header = "CareForAll payments"

urlpatterns = [
    path("api/health/payment", health),  # readiness, public
    path("internal/health/live", live),  # liveness; the gateway never routes /internal/
    path("internal/health/workers", workers),  # the heartbeats of its Celery workers and beat
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("internal/outbox", OutboxWaitingInternalApi.as_view()),  # signed: the staff dashboard
    path("", include("payments.urls")),
    path("", include("refunds.urls")),
    path("", include("provider_events.urls")),
    # Refunds, disputes and provider events moved to apps of their own: old links still work.
    re_path(
        r"^admin/payments/payments/(?P<model>refund|dispute|providerevent)/",
        admin_moved,
    ),
    path("admin/payments/", admin.site.urls),
]
