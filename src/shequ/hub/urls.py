from django.urls import path

from shequ.hub.views import catalog, flowback, query, requests, runs, sources

app_name = "hub"
urlpatterns = [
    path("", catalog.catalog_page, name="catalog"),
    path("datasets/<slug:key>/", catalog.dataset_page, name="dataset"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<int:run_id>/", runs.run_page, name="run"),
    path("runs/<int:run_id>/quarantine.csv", runs.quarantine, name="quarantine"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/<int:source_id>/run/", sources.source_run, name="source-run"),
    path("datasets/<slug:key>/request/", requests.request_new, name="request-new"),
    path("datasets/<slug:key>/grants/", requests.grant_list, name="grants"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/<int:request_id>/", requests.request_page, name="request"),
    path("query/", query.query_console, name="query"),
    path("query/export/", query.query_export, name="query-export"),
    path("subscriptions/", flowback.subscriptions_page, name="subscriptions"),
    path("publish/", flowback.publish_page, name="publish"),
    path("datasets/<slug:key>/subscription/", flowback.subscription_toggle, name="subscription"),
]
