from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from claims.login_throttle import LoginView
from claims.views.health import healthz


def site_urls(api_prefix):
    """The site's URLs, the API mounted at ``api_prefix`` under the namespace "api"."""
    return [
        path("admin/", admin.site.urls),
        path("accounts/login/", LoginView.as_view(), name="login"),
        path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("healthz", healthz, name="healthz"),
        path(api_prefix, include("claims.api.urls")),
        path("", include("claims.urls")),
    ]


# /api/ is the unversioned alias of /api/v1/, the documented base; a request under /api/v1/ is
# resolved with exoclaims.urls_v1 (claims.api.middleware), so its links stay under /api/v1/.
urlpatterns = site_urls("api/")
