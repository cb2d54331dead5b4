from django.urls import path

from payments import apis

# Exact routes, no trailing slash (APPEND_SLASH is off).
urlpatterns = [
    path("api/payments", apis.PaymentCreateApi.as_view()),
    path("api/payments/config", apis.PaymentConfigApi.as_view()),
    path("api/payments/<int:payment_id>", apis.PaymentDetailApi.as_view()),
]
