from claims.api.serializers.citations import (
    CitationDetailSerializer,
    CitationRefSerializer,
    CitationSerializer,
)
from claims.api.serializers.claims import ClaimSerializer, ClaimWriteSerializer
from claims.api.serializers.curation import FlagResolveSerializer, FlagSerializer, TransitionSerializer
from claims.api.serializers.entities import (
    CargoSerializer,
    CellLineSerializer,
    DrugSerializer,
    MechanismSerializer,
    SectionSerializer,
    TargetSerializer,
)
from claims.api.serializers.facets import FacetsSerializer

__all__ = [
    "CargoSerializer",
    "CellLineSerializer",
    "CitationDetailSerializer",
    "CitationRefSerializer",
    "CitationSerializer",
    "ClaimSerializer",
    "ClaimWriteSerializer",
    "DrugSerializer",
    "FacetsSerializer",
    "FlagResolveSerializer",
    "FlagSerializer",
    "MechanismSerializer",
    "SectionSerializer",
    "TargetSerializer",
    "TransitionSerializer",
]
