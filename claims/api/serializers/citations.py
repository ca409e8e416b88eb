"""Citations: as referenced from claims, and as a resource with the claims resting on it."""

import re

from rest_framework import serializers

from claims.api.serializers.fields import ClaimsLinkField, OptionalURLField, PageLinkField
from claims.models import Citation, Claim
from claims.services.review_fixtures import CITATION_KEY, DOI


class CitationRefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:citation-detail", lookup_field="key")

    class Meta:
        model = Citation
        fields = ["key", "label", "doi", "url"]


class RestingClaimSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail", lookup_field="public_id")

    class Meta:
        model = Claim
        fields = ["id", "url", "statement", "status"]


class CitationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:citation-detail", lookup_field="key")
    html_url = PageLinkField()
    year = serializers.IntegerField(min_value=1800, max_value=2100)
    is_stub = serializers.BooleanField(read_only=True, help_text="Known only by its in-text label so far")
    doi_url = OptionalURLField()
    pubmed_url = OptionalURLField()
    claim_count = serializers.IntegerField(read_only=True)
    claims_url = ClaimsLinkField(parameter="citation", attribute="key")

    class Meta:
        model = Citation
        fields = [
            "url", "html_url", "key", "label", "first_author", "authors", "year", "year_suffix", "title",
            "journal", "volume", "pages", "doi", "doi_url", "pmid", "pubmed_url", "entry_type", "notes",
            "is_stub", "claim_count", "claims_url",
        ]  # fmt: skip
        extra_kwargs = {
            "key": {
                "validators": [],
                "help_text": "Stable key: surname, year and an optional letter, e.g. wang2019a",
            },
            "label": {"validators": []},
            "doi": {"help_text": "e.g. 10.3389/fbioe.2023.1214648 (without https://doi.org/)"},
        }

    def validate_key(self, key):
        if self.instance is not None:
            if key != self.instance.key:
                raise serializers.ValidationError(
                    "The key is this citation's permanent identifier and cannot be changed."
                )
            return key
        if not CITATION_KEY.match(key):
            raise serializers.ValidationError(
                f"'{key}' is not a key of a lowercase surname, a year and an optional letter, like wang2019a."
            )
        if Citation.objects.filter(key=key).exists():
            raise serializers.ValidationError(f"A citation with the key '{key}' already exists.")
        return key

    def validate_label(self, label):
        others = Citation.objects.filter(label=label)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        key = others.values_list("key", flat=True).first()
        if key:
            raise serializers.ValidationError(f"Citation '{key}' already has the label '{label}'.")
        return label

    def validate_doi(self, doi):
        doi = doi.strip()
        if not doi:
            return doi
        if not DOI.match(doi):
            raise serializers.ValidationError(f"'{doi}' is not a DOI of the form 10.NNNN/suffix.")
        others = Citation.objects.filter(doi__iexact=doi)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        key = others.values_list("key", flat=True).first()
        if key:
            raise serializers.ValidationError(f"The DOI {doi} already belongs to citation '{key}'.")
        return doi

    def validate_pmid(self, pmid):
        if pmid and not re.fullmatch(r"[1-9]\d{0,9}", pmid):
            raise serializers.ValidationError(f"'{pmid}' is not a PubMed id (digits only).")
        return pmid

    def validate_year_suffix(self, suffix):
        if suffix and not re.fullmatch(r"[a-z]", suffix):
            raise serializers.ValidationError("One lowercase letter (as in 2019a), or empty.")
        return suffix


class CitationDetailSerializer(CitationSerializer):
    claims = RestingClaimSerializer(
        many=True, read_only=True, help_text="The claims resting on this citation"
    )

    class Meta(CitationSerializer.Meta):
        fields = CitationSerializer.Meta.fields + ["claims"]
