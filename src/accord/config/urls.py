from django.contrib import admin
from django.urls import include, path

from accord.api.router import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("integrations/", include("accord.integrations.urls")),
    path("imports/", include("accord.integrations.urls_import")),
    path("exports/", include("accord.integrations.urls_export")),
    path("", include("accord.web.urls")),
]
