"""/api/facets/: what the claim browser's facets show, for any filtered set of claims."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from claims.api import schema as openapi
from claims.api.filtering import FilterBackend
from claims.api.serializers import FacetsSerializer
from claims.api.views.base import JSONErrorsMixin
from claims.facets import claim_count, facet_counts
from claims.filters import ClaimFilter
from claims.models import Claim


class FacetsView(JSONErrorsMixin, GenericAPIView[Claim]):
    queryset = Claim.objects.all()
    serializer_class = FacetsSerializer
    filter_backends = [FilterBackend]
    filterset_class = ClaimFilter
    pagination_class = None
    schema = openapi.FilteredSchema()  # documents the claims filters it takes

    @extend_schema(
        summary="Facet counts for a filtered set of claims",
        description="Takes the claims filters (those of /api/claims/). For each parameter, its values in "
        "the filtered set with how many claims have each (the busiest first), so a tool need not page "
        "through claims to count.",
        responses={200: FacetsSerializer, **openapi.errors(*openapi.READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        claims = self.filter_queryset(self.get_queryset())
        facets = {name: [asdict(value) for value in values] for name, values in facet_counts(claims).items()}
        return Response({"count": claim_count(claims), "facets": facets})
