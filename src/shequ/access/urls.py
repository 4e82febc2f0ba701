from django.urls import path

from shequ.access.views import alerts, consent, credentials, log, passes, points, welfare

app_name = "access"
urlpatterns = [
    path("", points.home, name="home"),
    # Staff.
    path("points/", points.point_list, name="points"),
    path("points/<int:point_id>/", points.point_detail, name="point"),
    path("devices/<int:device_id>/revoke/", points.device_revoke, name="device-revoke"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("log/", log.log_page, name="log"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert"),
    path("passes/", passes.staff_passes, name="passes"),
    path("passes/<int:pass_id>/revoke/", passes.staff_pass_revoke, name="staff-pass-revoke"),
    path("consents/", consent.consent_list, name="consents"),
    path("credentials/", credentials.credential_list, name="credentials"),
    path("welfare/", welfare.welfare_list, name="welfare"),
    path("welfare/<int:check_id>/outcome/", welfare.welfare_outcome, name="welfare-outcome"),
    path("welfare/opt-outs/", welfare.opt_outs, name="opt-outs"),
    path("welfare/opt-outs/<int:person_id>/in/", welfare.opt_back_in, name="opt-back-in"),
    # Residents (phone first).
    path("me/passes/", passes.my_passes, name="my-passes"),
    path("me/passes/<int:pass_id>/", passes.pass_detail, name="pass"),
    path("me/passes/<int:pass_id>/qr.svg", passes.pass_qr, name="pass-qr"),
    path("me/passes/<int:pass_id>/revoke/", passes.pass_revoke, name="pass-revoke"),
    path("me/consent/", consent.my_consent, name="my-consent"),
    path("me/welfare/", welfare.my_welfare, name="my-welfare"),
    path("me/consent/<int:credential_id>/withdraw/", consent.withdraw, name="withdraw"),
]
