from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from claims.api import views
from claims.api.schema import SchemaView

app_name = "api"

router = SimpleRouter()
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("citations", views.CitationViewSet, basename="citation")
router.register("drugs", views.DrugViewSet, basename="drug")
router.register("cargo", views.CargoViewSet, basename="cargo")
router.register("targets", views.TargetViewSet, basename="target")
router.register("cell-lines", views.CellLineViewSet, basename="cell-line")
router.register("mechanisms", views.MechanismViewSet, basename="mechanism")
router.register("sections", views.SectionViewSet, basename="section")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("facets/", views.FacetsView.as_view(), name="facets"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    *router.urls,
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^[\s\S]*$", views.not_found, name="not-found"),
]
