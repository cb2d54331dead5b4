from django.contrib import admin
from django.urls import include, path

from campaigns.apis import CampaignFactsInternalApi
from careforall_common.health import health, live, workers
from careforall_common.inbox.apis import EventIngestApi
from careforall_common.metrics import metrics

admin.site.site_header = "CareForAll"
admin.site.site_title = "CareForAll admin"

urlpatterns = [
    path("api/health/campaign", health),  # readiness, public
    path("internal/health/live", live),  # liveness; the gateway never routes /internal/
    path("internal/health/workers", workers),  # the heartbeats of its Celery workers and beat
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("api/", include("campaigns.urls")),
    path("api/", include("transparency.urls")),  # public, read-only (SPEC §3)
    # Signed service-to-service calls; the gateway does not route /internal/ (SPEC §4).
    path("internal/events", EventIngestApi.as_view()),
    path("internal/campaigns/<int:campaign_id>", CampaignFactsInternalApi.as_view()),
    # The platform's main admin; the other services' admins sit below it (SPEC §3).
    path("admin/", admin.site.urls),
]
