from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from claims.login_throttle import LoginView
from claims.views.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("api/", include("claims.api.urls")),
    path("", include("claims.urls")),
]
