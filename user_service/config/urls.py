from django.contrib import admin
from django.urls import include, path

from accounts.apis import FlowerAccessApi, InternalStaffStatusApi
from careforall_common.health import health, live, workers
from careforall_common.metrics import metrics

admin.site.site_header = "CareForAll accounts"

urlpatterns = [
    path("api/health/user", health),  # readiness, public
    path("internal/health/live", live),  # liveness; the gateway never routes /internal/
    path("internal/health/workers", workers),  # the heartbeats of its Celery workers and beat
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("api/auth/", include("accounts.urls")),
    path("admin/users/", admin.site.urls),
    path("internal/auth/staff", FlowerAccessApi.as_view()),
    path("internal/accounts/staff", InternalStaffStatusApi.as_view()),
]
