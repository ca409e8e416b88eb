"""The facet counts of /api/facets/ (computed by claims.facets, as the HTML browser's are)."""

from rest_framework import serializers

from claims.filters import FACET_PARAMETERS


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The value to pass as the claims filter parameter")
    # Named as Field's own attribute; DRF's metaclass takes declared fields off the class.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField(help_text="Claims in the filtered set with this value")
    depth = serializers.IntegerField(
        help_text="0, or how many levels below a broader value this one is (mechanisms); a broader "
        "value's count includes its narrower values' claims, as its filter does"
    )


class FacetTruncationSerializer(serializers.Serializer):
    truncated = serializers.BooleanField(
        help_text="Whether the facet has more values in the filtered set than it lists (only the entity "
        "facets drug, cargo, target, cell_line and citation are cut, at facet_size values)"
    )
    other_count = serializers.IntegerField(
        help_text="How many values (not claims) with claims in the filtered set the facet does not list; "
        "0 when it lists them all"
    )


FacetCountsSerializer = type(
    "FacetCountsSerializer",
    (serializers.Serializer,),
    {name: FacetValueSerializer(many=True) for name in FACET_PARAMETERS},
)


FacetTruncationsSerializer = type(
    "FacetTruncationsSerializer",
    (serializers.Serializer,),
    {name: FacetTruncationSerializer() for name in FACET_PARAMETERS},
)


class FacetsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Claims in the filtered set")
    facet_size = serializers.IntegerField(help_text="At most how many values an entity facet lists")
    facets = FacetCountsSerializer(help_text="For each claims filter parameter, its values, busiest first")
    truncation = FacetTruncationsSerializer(
        help_text="For each claims filter parameter, whether its list in facets is cut, and how many "
        "values it leaves out"
    )
