"""``/api/3/action/<name>`` (CKAN's versioned path), ``/api/action/<name>`` (where ckanapi calls)
and ``/catalog.jsonld``; included at the site root."""

from django.urls import path

from shequ.hub.ckan import views

urlpatterns = [
    path("api/3/action/<str:name>", views.action, name="ckan-action"),
    path("api/action/<str:name>", views.action, name="ckan-action-unversioned"),
    path("catalog.jsonld", views.catalog_jsonld, name="dcat-catalog"),
]
