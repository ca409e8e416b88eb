from claims.api.views.citations import CitationViewSet
from claims.api.views.claims import ClaimViewSet
from claims.api.views.entities import (
    CargoViewSet,
    CellLineViewSet,
    DrugViewSet,
    MechanismViewSet,
    SectionViewSet,
    TargetViewSet,
)
from claims.api.views.facets import FacetsView
from claims.api.views.root import ApiRootView, DocsView, not_found

__all__ = [
    "ApiRootView",
    "CargoViewSet",
    "CellLineViewSet",
    "CitationViewSet",
    "ClaimViewSet",
    "DocsView",
    "DrugViewSet",
    "FacetsView",
    "MechanismViewSet",
    "SectionViewSet",
    "TargetViewSet",
    "not_found",
]
