"""/api/facets/: what the claim browser's facets show, for any filtered set of claims."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from claims.api import schema as openapi
from claims.api.filtering import FilterBackend
from claims.api.pagination import positive_int
from claims.api.serializers import FacetsSerializer
from claims.api.views.base import JSONErrorsMixin
from claims.facets import FACET_LIMIT, FACET_SIZE_MAX, claim_count, facet_counts
from claims.filters import ClaimFilter
from claims.models import Claim


class FacetsView(JSONErrorsMixin, GenericAPIView[Claim]):
    queryset = Claim.objects.all()
    serializer_class = FacetsSerializer
    filter_backends = [FilterBackend]
    filterset_class = ClaimFilter
    pagination_class = None
    schema = openapi.FilteredSchema()  # documents the claims filters it takes
    query_parameters = ("facet_size",)

    @extend_schema(
        summary="Facet counts for a filtered set of claims",
        description="Takes the claims filters (those of /api/claims/). For each parameter, its values in "
        "the filtered set with how many claims have each (the busiest first), so a tool need not page "
        "through claims to count. The entity facets (drug, cargo, target, cell_line, citation) list "
        f"{FACET_LIMIT} values unless facet_size asks otherwise; truncation says which lists are cut.",
        parameters=[
            OpenApiParameter(
                "facet_size",
                int,
                description=f"At most how many values each entity facet lists, busiest first: a whole "
                f"number from 1 to {FACET_SIZE_MAX} (default {FACET_LIMIT}); anything else is a 400.",
            )
        ],
        responses={200: FacetsSerializer, **openapi.errors(*openapi.READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        claims = self.filter_queryset(self.get_queryset())
        size = facet_size(request)
        counts = facet_counts(claims, size=size)
        facets = {name: [asdict(value) for value in values] for name, values in counts.items()}
        truncation = {
            name: {"truncated": values.truncated, "other_count": values.other_count}
            for name, values in counts.items()
        }
        return Response(
            {"count": claim_count(claims), "facet_size": size, "facets": facets, "truncation": truncation}
        )


def facet_size(request: Request) -> int:
    """?facet_size=N (1 to FACET_SIZE_MAX; absent or empty: FACET_LIMIT), or a 400 naming it."""
    raw = request.query_params.get("facet_size")
    if raw in (None, ""):
        return FACET_LIMIT
    size = positive_int(raw)
    if size is None or size > FACET_SIZE_MAX:
        raise ValidationError(
            {
                "facet_size": [
                    f"'{raw[:40]}' is not a facet size: give a whole number from 1 to {FACET_SIZE_MAX}."
                ]
            }
        )
    return size
