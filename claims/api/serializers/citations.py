"""Citations: as referenced from claims, and as a resource with the claims resting on it."""

import re

from rest_framework import serializers

from claims import vocabulary as v
from claims.api.serializers.fields import ClaimsLinkField, OptionalURLField, PageLinkField
from claims.identifiers import CITATION_KEY, DOI
from claims.models import Citation, Claim


class PersonSerializer(serializers.Serializer):
    family = serializers.CharField(max_length=200, help_text="Surname, or a group's name")
    given = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _authors_field(**kwargs):
    return PersonSerializer(
        source="author_names", many=True, help_text="Every author in order, as printed", **kwargs
    )


class CitationRefSerializer(serializers.ModelSerializer):
    """A cited work as nested in a claim: its identifiers and a short bibliographic record."""

    url = serializers.HyperlinkedIdentityField(view_name="api:citation-detail", lookup_field="key")
    authors = _authors_field(read_only=True)

    class Meta:
        model = Citation
        fields = [
            "key",
            "label",
            "doi",
            "pmid",
            "pmcid",
            "title",
            "authors",
            "journal",
            "journal_abbrev",
            "year",
            "resolution",
            "url",
        ]


def citation_ref(citation, links):
    """CitationRefSerializer's output, built directly (the claim list serialises hundreds)."""
    return {
        "key": citation.key,
        "label": citation.label,
        "doi": citation.doi,
        "pmid": citation.pmid,
        "pmcid": citation.pmcid,
        "title": citation.title,
        "authors": [
            {"family": n.get("family", ""), "given": n.get("given", "")} for n in citation.author_names
        ],
        "journal": citation.journal,
        "journal_abbrev": citation.journal_abbrev,
        "year": citation.year,
        "resolution": str(citation.resolution),
        "url": links.url("api:citation-detail", citation.key),
    }


class CitationCheckRefSerializer(serializers.Serializer):
    """A curator's verdict on whether one cited work supports the claim."""

    citation = serializers.CharField(source="citation.key", help_text="The cited work's key")
    support = serializers.ChoiceField(choices=v.CitationSupport.choices)
    record = serializers.CharField(help_text="The record checked, e.g. PMID:27941677")
    level = serializers.ChoiceField(choices=v.CheckLevel.choices, help_text="How deep the check went")
    note = serializers.CharField(help_text="What the paper shows, in the curator's words")


def citation_check_ref(check):
    return {
        "citation": check.citation.key,
        "support": str(check.support),
        "record": check.record,
        "level": str(check.level),
        "note": check.note,
    }


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
    authors = _authors_field(required=False)
    pmc_url = OptionalURLField()
    short_authors = serializers.CharField(
        read_only=True, help_text="Vancouver style: Chen W, Liu X, Lv M, et al."
    )

    class Meta:
        model = Citation
        fields = [
            "url",
            "html_url",
            "key",
            "label",
            "first_author",
            "authors",
            "short_authors",
            "year",
            "year_suffix",
            "title",
            "journal",
            "journal_abbrev",
            "volume",
            "issue",
            "pages",
            "doi",
            "doi_url",
            "pmid",
            "pubmed_url",
            "pmcid",
            "pmc_url",
            "entry_type",
            "resolution",
            "resolution_note",
            "candidates",
            "evidence",
            "checked",
            "notes",
            "is_stub",
            "claim_count",
            "claims_url",
        ]
        read_only_fields = ["resolution_note", "candidates", "evidence", "checked"]
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

    def validate_pmcid(self, pmcid):
        if pmcid and not re.fullmatch(r"PMC[1-9]\d{0,9}", pmcid):
            raise serializers.ValidationError(f"'{pmcid}' is not a PubMed Central id (PMC and digits).")
        return pmcid

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
