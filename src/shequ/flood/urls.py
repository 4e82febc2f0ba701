from django.urls import path

from shequ.flood.views import alerts, live, points

app_name = "flood"
urlpatterns = [
    path("", live.live_map, name="map"),
    path("map.json", live.map_data, name="map-data"),
    path("points/<slug:code>/", points.point_detail, name="point"),
    path("alerts/", alerts.inbox, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", alerts.acknowledge, name="acknowledge"),
]
