"""``/sta/v1.1/…``: every resource path goes to one view, which reads the path itself."""

from django.urls import re_path

from shequ.flood.sta import views

urlpatterns = [re_path(r"^(?:/(?P<path>.*))?$", views.serve, name="sta")]
