from django.urls import path

from shequ.dashboard.views import export, modules, overview, screen

app_name = "dashboard"
urlpatterns = [
    path("", overview.overview, name="overview"),
    path("m/<slug:module>/", modules.module_page, name="module"),
    path("screen/", screen.big_screen, name="screen"),
    path("phone/", screen.phone, name="phone"),
    path("data/<str:key>.<slug:fmt>", export.download, name="download"),
]
