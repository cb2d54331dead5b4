from django.contrib import admin
from django.urls import path

from careforall_common.health import health

admin.site.site_header = "CareForAll payments"

urlpatterns = [
    path("api/health/payment", health),
    path("admin/payments/", admin.site.urls),
]
