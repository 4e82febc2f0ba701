from django.urls import path

from shequ.flood.views import alerts, cameras, live, points, response, sites, staff, tasks

app_name = "flood"
urlpatterns = [
    path("", live.live_map, name="map"),
    path("map.json", live.map_data, name="map-data"),
    path("basemap.json", live.basemap_data, name="basemap"),
    path("points/<slug:code>/", points.point_detail, name="point"),
    path("alerts/", alerts.inbox, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", alerts.acknowledge, name="acknowledge"),
    path("alerts/<int:alert_id>/tasks/", tasks.create, name="task-create"),
    path("tasks/", tasks.task_list, name="tasks"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task"),
    path("tasks/<int:task_id>/photo", tasks.task_photo, name="task-photo"),
    path("response/", response.response_page, name="response"),
    path("camera-events/<int:event_id>/image", cameras.image, name="camera-image"),
    path("camera-events/<int:event_id>/thumb", cameras.thumb, name="camera-thumb"),
    path("staff/", staff.devices_page, name="staff-devices"),
    path("staff/rules/<int:rule_id>/", staff.rule_page, name="staff-rule"),
    path("staff/points/new/", sites.point_page, name="staff-point-new"),
    path("staff/points/<slug:code>/", sites.point_page, name="staff-point"),
    path("staff/devices/new/", sites.device_page, name="staff-device-new"),
    path("staff/devices/<slug:code>/", sites.device_page, name="staff-device"),
    path("staff/devices/<slug:code>/token/", sites.device_token, name="staff-device-token"),
    path(
        "staff/devices/<slug:code>/interval/", staff.device_interval, name="staff-device-interval"
    ),
    path("staff/roster/", staff.roster_page, name="staff-roster"),
    path("staff/roster/me/channel/", staff.my_channel, name="staff-my-channel"),
    path("staff/roster/<int:shift_id>/end/", staff.end_shift, name="staff-shift-end"),
    path("staff/silences/", staff.silences_page, name="staff-silences"),
    path("staff/silences/<int:silence_id>/end/", staff.end_silence, name="staff-silence-end"),
]
