"""Changelist filters for every claim facet, in the site's own vocabulary.

Each filter lists the facet's values with their counts (claims/facets.py: one aggregate query
per facet, at most FACET_LIMIT values, so a sidebar stays short with thousands of entities) and
filters through claims/filters.py, so /admin/claims/claim/?drug=ADM selects what /claims/?drug=ADM
does, aliases included.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import QueryDict

from claims.facets import facet_counts
from claims.filters import FACET_PARAMETERS, ClaimFilter
from claims.models import Claim


def _facets(request):
    # All filters of one changelist share one computation of the facet counts.
    if not hasattr(request, "_claim_admin_facets"):
        request._claim_admin_facets = facet_counts(Claim.objects.all())
    return request._claim_admin_facets


class FacetFilter(admin.SimpleListFilter):
    def lookups(self, request, model_admin):
        # Narrower mechanisms indented under the broader one whose count includes theirs.
        facet = _facets(request)[self.parameter_name]
        return [(f.value, f"{'— ' * f.depth}{f.label} ({f.count})") for f in facet]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        params = QueryDict(mutable=True)
        params[self.parameter_name] = value
        filterset = ClaimFilter(params, queryset=queryset)
        if not filterset.is_valid():
            raise IncorrectLookupParameters(filterset.errors)
        return filterset.qs


def _facet_filter(parameter):
    title = ClaimFilter.base_filters[parameter].label.lower()
    return type(
        f"{parameter.title().replace('_', '')}Filter",
        (FacetFilter,),
        {"parameter_name": parameter, "title": title},
    )


FACET_FILTERS = [_facet_filter(parameter) for parameter in FACET_PARAMETERS]
