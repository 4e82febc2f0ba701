from django.urls import path

from shequ.hub import views, views_flowback, views_requests

app_name = "hub"
urlpatterns = [
    path("", views.catalog_page, name="catalog"),
    path("datasets/<slug:key>/", views.dataset_page, name="dataset"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("runs/<int:run_id>/quarantine.csv", views.quarantine, name="quarantine"),
    path("sources/", views.source_list, name="sources"),
    path("sources/<int:source_id>/run/", views.source_run, name="source-run"),
    path("datasets/<slug:key>/request/", views_requests.request_new, name="request-new"),
    path("datasets/<slug:key>/grants/", views_requests.grant_list, name="grants"),
    path("requests/", views_requests.request_list, name="requests"),
    path("requests/<int:request_id>/", views_requests.request_page, name="request"),
    path("query/", views_requests.query_console, name="query"),
    path("subscriptions/", views_flowback.subscriptions_page, name="subscriptions"),
    path("publish/", views_flowback.publish_page, name="publish"),
    path(
        "datasets/<slug:key>/subscription/",
        views_flowback.subscription_toggle,
        name="subscription",
    ),
    path("query/export/", views_requests.query_export, name="query-export"),
]
