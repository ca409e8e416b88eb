"""The site's URLs for requests under /api/v1/ (claims.api.middleware.ApiHttpMiddleware picks it):
the same views, the API mounted at /api/v1/, so ``reverse("api:…")`` in a v1 response gives v1 links."""

from exoclaims.urls import site_urls

urlpatterns = site_urls("api/v1/")
