from django.urls import path

from provider_events import apis

# Exact routes, no trailing slash (APPEND_SLASH is off).
urlpatterns = [
    path("api/payments/webhook", apis.PaymentWebhookApi.as_view()),
]
