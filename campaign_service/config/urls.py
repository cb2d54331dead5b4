from django.contrib import admin
from django.urls import include, path

from careforall_common.health import health

admin.site.site_header = "CareForAll"
admin.site.site_title = "CareForAll admin"

urlpatterns = [
    path("api/health/campaign", health),
    path("api/", include("campaigns.urls")),
    # The platform's main admin; the other services' admins sit below it (SPEC §3).
    path("admin/", admin.site.urls),
]
