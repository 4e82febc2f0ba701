from django.contrib.auth import views as auth_views
from django.urls import path

from shequ.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("people/", views.people_list, name="people"),
    path("people/<int:person_id>/reveal/", views.person_reveal, name="person-reveal"),
    path("audit/", views.audit_log, name="audit"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:message_id>/read/", views.inbox_read, name="inbox-read"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
