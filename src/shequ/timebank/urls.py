from django.urls import path

from shequ.timebank.views import hall, home, members, orders, requests, staff

app_name = "timebank"
urlpatterns = [
    path("", home.home, name="home"),
    # Residents and their families
    path("ask/", requests.ask, name="ask"),
    path("mine/", requests.mine, name="mine"),
    path("requests/<int:request_id>/", requests.detail, name="request"),
    path("requests/<int:request_id>/cancel/", requests.cancel, name="cancel"),
    path("series/<int:series_id>/", requests.series_page, name="series"),
    path(
        "series/<int:series_id>/<str:action>/",
        requests.series_action,
        name="series-action",
    ),
    path("requests/<int:request_id>/take/", orders.take, name="take"),
    path(
        "orders/<int:order_id>/<str:action>/",
        orders.step,
        name="order-step",
    ),
    # Volunteers
    path("hall/", hall.hall, name="hall"),
    path("hall/orders/", hall.my_orders, name="my-orders"),
    path("hours/", hall.my_hours, name="my-hours"),
    path("hours/certificate/", hall.certificate, name="certificate"),
    # Staff
    path("staff/", staff.console, name="staff"),
    path("staff/members/", staff.members, name="staff-members"),
    path("staff/members/new/", members.register, name="staff-member-new"),
    path("staff/members/<int:member_id>/", members.edit, name="staff-member-edit"),
    path("staff/unmatched/", staff.unmatched, name="staff-unmatched"),
    path("staff/indicators/", staff.indicator_page, name="staff-indicators"),
]
