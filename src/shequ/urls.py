from django.contrib import admin
from django.urls import include, path

from shequ.api import api
from shequ.core.observability.views import scrape

urlpatterns = [
    path("api/v1/", api.urls),
    path("metrics", scrape, name="metrics"),  # Prometheus (docs/operations.md)
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("hub/", include("shequ.hub.urls")),
    path("parking/", include("shequ.parking.urls")),
    path("timebank/", include("shequ.timebank.urls")),
    path("access/", include("shequ.access.urls")),
    path("flood/", include("shequ.flood.urls")),
    path("dashboard/", include("shequ.dashboard.urls")),
    path("sta/v1.1", include("shequ.flood.sta.urls")),  # OGC SensorThings API (flood watch)
    path("", include("shequ.hub.ckan.urls")),  # CKAN Action API /api/3/action/, /catalog.jsonld
    path("", include("shequ.web.urls")),
]
