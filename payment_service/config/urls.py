from django.contrib import admin
from django.urls import include, path, re_path

from careforall_common.health import health, live, workers
from careforall_common.inbox.apis import EventIngestApi
from careforall_common.metrics import metrics
from careforall_common.outbox.apis import OutboxWaitingInternalApi
from config.admin_moved import admin_moved
from defence.admin import challenge_admin_view

admin.site.site_header = "CareForAll payments"

urlpatterns = [
    path("api/health/payment", health),  # readiness, public
    path("internal/health/live", live),  # liveness; the gateway never routes /internal/
    path("internal/health/workers", workers),  # the heartbeats of its Celery workers and beat
    path("internal/metrics", metrics),  # Prometheus; the gateway never routes /internal/
    path("internal/outbox", OutboxWaitingInternalApi.as_view()),  # signed: the staff dashboard
    path("internal/events", EventIngestApi.as_view()),  # signed: events of other services
    path("", include("payments.urls")),
    path("", include("refunds.urls")),
    path("", include("provider_events.urls")),
    path("", include("defence.urls")),
    path("", include("saved_cards.urls")),
    path("", include("transparency.urls")),
    # Refunds, disputes and provider events moved to apps of their own: old links still work.
    re_path(
        r"^admin/payments/payments/(?P<model>refund|dispute|providerevent)/",
        admin_moved,
    ),
    # Challenge mode (card-testing defence), a page of this admin linked from its index.
    path(
        "admin/payments/challenge/",
        admin.site.admin_view(challenge_admin_view),
        name="defence_challenge",
    ),
    path("admin/payments/", admin.site.urls),
]
