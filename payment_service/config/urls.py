from django.contrib import admin
from django.urls import include, path

from careforall_common.health import health

admin.site.site_header = "CareForAll payments"

urlpatterns = [
    path("api/health/payment", health),
    path("", include("payments.urls")),
    path("admin/payments/", admin.site.urls),
]
