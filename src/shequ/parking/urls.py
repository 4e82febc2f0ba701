from django.urls import path

from shequ.parking import (
    views_allocation,
    views_indices,
    views_operator,
    views_pay,
    views_places,
    views_posters,
    views_resident,
    views_reveal,
    views_sign,
    views_staff,
)

app_name = "parking"
urlpatterns = [
    path("", views_posters.home, name="home"),
    path("posters/", views_posters.poster_index, name="posters"),
    path("posters/estate/<slug:slug>/", views_posters.estate_poster, name="estate-poster"),
    path("posters/estate/<slug:slug>/qr.svg", views_posters.estate_qr, name="estate-qr"),
    path("posters/garage/<str:code>/", views_posters.garage_poster, name="garage-poster"),
    path("posters/garage/<str:code>/qr.svg", views_posters.garage_qr, name="garage-qr"),
    # Residents (phone first): the QR landing pages, phone login, apply, buy, the pass.
    path("e/<slug:slug>/", views_resident.estate_landing, name="estate"),
    path("e/<slug:slug>/apply/", views_resident.apply, name="apply"),
    path("g/<str:code>/", views_resident.garage_landing, name="garage"),
    path("login/", views_resident.phone_login, name="login"),
    path("me/", views_resident.my_parking, name="me"),
    path("me/applications/<int:app_id>/", views_resident.application_detail, name="application"),
    path("me/applications/<int:app_id>/buy/", views_resident.buy, name="buy"),
    path("me/applications/<int:app_id>/wait/", views_resident.join_waiting, name="wait"),
    path("me/applications/<int:app_id>/withdraw/", views_resident.withdraw, name="withdraw"),
    path("me/waiting/<int:entry_id>/leave/", views_resident.leave_waiting, name="leave-waiting"),
    path("me/orders/<str:number>/", views_resident.order_detail, name="order"),
    path("me/orders/<str:number>/live/", views_resident.order_live, name="order-live"),
    path("me/orders/<str:number>/pay/", views_pay.pay_online, name="order-pay"),
    # The demo provider's own cashier (stands for WeChat Pay's or Alipay's H5/QR page).
    path("pay/demo/<str:token>/", views_pay.demo_cashier_page, name="pay-demo"),
    path(
        "pay/demo/<str:token>/<str:action>/",
        views_pay.demo_cashier_action,
        name="pay-demo-action",
    ),
    path("me/passes/<int:pass_id>/", views_resident.pass_detail, name="pass"),
    path("me/passes/<int:pass_id>/renew/", views_resident.renew, name="renew"),
    path("me/passes/<int:pass_id>/cancel/", views_resident.cancel, name="cancel"),
    # Garage operators.
    path("operator/", views_operator.garage_list, name="operator"),
    path("operator/<int:garage_id>/", views_operator.garage_detail, name="operator-garage"),
    path("operator/new/", views_operator.garage_new, name="operator-garage-new"),
    path(
        "operator/<int:garage_id>/settings/",
        views_operator.garage_settings,
        name="operator-settings",
    ),
    path("operator/<int:garage_id>/plans/", views_operator.plans, name="operator-plans"),
    path("operator/<int:garage_id>/devices/", views_operator.devices, name="operator-devices"),
    path("operator/<int:garage_id>/tenants/", views_operator.tenants, name="operator-tenants"),
    path(
        "operator/tenants/<int:tenant_id>/remove/",
        views_operator.tenant_remove,
        name="operator-tenant-remove",
    ),
    path(
        "operator/reveal/<str:kind>/<int:obj_id>/",
        views_reveal.reveal_plate,
        name="reveal",
    ),
    path(
        "operator/devices/<int:device_id>/revoke/",
        views_operator.device_revoke,
        name="operator-device-revoke",
    ),
    path(
        "operator/violations/<int:violation_id>/resolve/",
        views_operator.violation_resolve,
        name="operator-violation-resolve",
    ),
    # Community staff.
    path("staff/", views_staff.staff_home, name="staff"),
    path("staff/applications/", views_staff.application_list, name="staff-applications"),
    path(
        "staff/applications/<int:app_id>/",
        views_staff.application_review,
        name="staff-application",
    ),
    path("staff/orders/", views_staff.order_list, name="staff-orders"),
    path("staff/orders/<str:number>/confirm/", views_staff.order_confirm, name="staff-confirm"),
    path("staff/orders/<str:number>/refund/", views_staff.order_refund, name="staff-refund"),
    path("staff/passes/", views_staff.pass_list, name="staff-passes"),
    path(
        "staff/passes/<int:pass_id>/<str:action>/",
        views_staff.pass_action,
        name="staff-pass-action",
    ),
    path("staff/waiting/", views_staff.waiting_list, name="staff-waiting"),
    path(
        "staff/waiting/<int:entry_id>/<str:action>/",
        views_staff.waiting_action,
        name="staff-waiting-action",
    ),
    path("staff/refunds/", views_staff.refund_list, name="staff-refunds"),
    path(
        "staff/refunds/<int:refund_id>/complete/",
        views_staff.refund_complete,
        name="staff-refund-complete",
    ),
    path(
        "staff/refunds/<int:refund_id>/provider/",
        views_staff.refund_via_provider,
        name="staff-refund-provider",
    ),
    path("staff/violations/", views_staff.violation_list, name="staff-violations"),
    path(
        "staff/violations/<int:violation_id>/resolve/",
        views_staff.violation_resolve,
        name="staff-violation-resolve",
    ),
    path("staff/estates/", views_places.estate_list, name="staff-estates"),
    path("staff/estates/new/", views_places.estate_new, name="staff-estate-new"),
    path("staff/estates/<int:estate_id>/", views_places.estate_edit, name="staff-estate-edit"),
    path("staff/holidays/", views_places.holiday_list, name="staff-holidays"),
    path(
        "staff/holidays/<int:holiday_id>/remove/",
        views_places.holiday_remove,
        name="staff-holiday-remove",
    ),
    path("staff/allocation/", views_allocation.allocation_review, name="staff-allocation"),
    path(
        "staff/allocation/apply/",
        views_allocation.allocation_apply,
        name="staff-allocation-apply",
    ),
    # Parking indices (staff; operators see their garages' berth index).
    path("indices/", views_indices.overview, name="indices"),
    path("indices/formulas/", views_indices.formulas_page, name="indices-formulas"),
    path("indices/estates/<str:code>/", views_indices.estate_page, name="indices-estate"),
    path("indices/garages/<str:code>/", views_indices.garage_page, name="indices-garage"),
    # The guidance sign at the estate gate (no Sign model yet: the estate's slug or code).
    path("signs/<slug:code>", views_sign.sign_page, name="sign"),
    path("signs/<slug:code>/board", views_sign.sign_board, name="sign-board"),
    path("signs/<slug:code>.json", views_sign.sign_json, name="sign-json"),
]
