from django.urls import path

from refunds import apis

# Exact routes, no trailing slash (APPEND_SLASH is off).
urlpatterns = [
    path("api/payments/<int:payment_id>/refunds", apis.PaymentRefundsApi.as_view()),
]
