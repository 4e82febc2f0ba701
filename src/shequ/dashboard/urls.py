from django.urls import path

from shequ.dashboard.views import export, feedback, modules, overview, reports, screen, targets

app_name = "dashboard"
urlpatterns = [
    path("", overview.overview, name="overview"),
    path("m/<slug:module>/", modules.module_page, name="module"),
    path("screen/", screen.big_screen, name="screen"),
    path("phone/", screen.phone, name="phone"),
    path("targets/", targets.target_page, name="targets"),
    path("data/<str:key>.<slug:fmt>", export.download, name="download"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:report_id>.<slug:fmt>", reports.download, name="report-download"),
    path("feedback/give/", feedback.give, name="feedback-give"),
    path("feedback/mine/", feedback.mine, name="feedback-mine"),
    path("feedback/rate/", feedback.rate, name="feedback-rate"),
    path("feedback/inbox/", feedback.inbox, name="feedback-inbox"),
    path("feedback/tasks/", feedback.tasks, name="feedback-tasks"),
    path("feedback/<int:feedback_id>/<slug:action>/", feedback.act, name="feedback-act"),
]
