from django.urls import path

from transparency import apis

urlpatterns = [
    # Signed service-to-service read; the gateway does not route /internal/.
    path(
        "internal/payments/<int:payment_id>/transparency",
        apis.PaymentTransparencyInternalApi.as_view(),
    ),
]
