from django.contrib import admin
from django.urls import include, path

from careforall_common.health import health, live, workers
from careforall_common.metrics import metrics
from careforall_common.outbox.apis import OutboxWaitingInternalApi

admin.site.site_header = "CareForAll pledges"

urlpatterns = [
    path("api/health/pledge", health),  # readiness, public
    path("internal/health/live", live),  # liveness; the gateway never routes /internal/
    path("internal/health/workers", workers),  # the heartbeats of its Celery workers and beat
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("internal/outbox", OutboxWaitingInternalApi.as_view()),  # signed: the staff dashboard
    path("", include("pledges.urls")),
    path("", include("plans.urls")),
    path("admin/pledges/", admin.site.urls),
]
