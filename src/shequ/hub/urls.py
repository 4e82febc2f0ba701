from django.urls import path

from shequ.hub import views

app_name = "hub"
urlpatterns = [
    path("", views.catalog_page, name="catalog"),
    path("datasets/<slug:key>/", views.dataset_page, name="dataset"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("runs/<int:run_id>/quarantine.csv", views.quarantine, name="quarantine"),
    path("sources/", views.source_list, name="sources"),
    path("sources/<int:source_id>/run/", views.source_run, name="source-run"),
]
