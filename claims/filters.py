"""One filter vocabulary for the claim browser (HTML) and the API.

``/claims/?drug=ADM&drug=cisplatin&direction=promotes_resistance`` and the same query string on
``/api/claims/`` select the same claims. Entity parameters take a slug, a name or any alias,
case-insensitively, or a misprint or miRNA spelling (claims.names); repeating a parameter means OR; different parameters combine with AND.
An unknown entity is a validation error naming the parameter and the value.
"""

import copy
import re
from collections import OrderedDict

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django_filters.widgets import BaseCSVWidget

from claims import vocabulary as v
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    Section,
    Target,
)
from claims.models.claim import search_names, search_terms
from claims.names import resolve_pks

MAX_VALUES = 50
MAX_PARAMETER_LENGTH = 200
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


class TermsField(forms.Field):
    """A repeated text parameter, resolved to primary keys by ``resolve(values) -> {value: [pk]}``."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, resolve, noun, **kwargs):
        self.resolve, self.noun = resolve, noun
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [str(item).strip() for item in values if str(item).strip()]
        if len(values) > MAX_VALUES:
            raise ValidationError(f"At most {MAX_VALUES} values may be given.")
        for item in values:
            if len(item) > MAX_PARAMETER_LENGTH or "\x00" in item:
                raise ValidationError(
                    "'%(value)s…' is not a valid %(noun)s.", params={"value": item[:40], "noun": self.noun}
                )
        return values

    def clean(self, value):
        values = super().clean(value)
        if not values:
            return None
        found = self.resolve(values)
        missing = [item for item in values if not found.get(item)]
        if missing:
            # Messages are %-formatted later: user text goes in params, never in the format string.
            raise ValidationError(
                "No %(noun)s is named %(names)s.",
                params={"noun": self.noun, "names": ", ".join(repr(m) for m in missing)},
            )
        return sorted({pk for pks in found.values() for pk in pks})


class TermsFilter(django_filters.Filter):
    field_class = TermsField

    def __init__(self, *, through_filter, **kwargs):
        self.through_filter = through_filter
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(pk__in=self.through_filter(value))


def _entity_resolver(model, *, with_descendants=False):
    def resolve(values):
        found = resolve_pks(model, values)
        if with_descendants and any(found.values()):
            # Every level below, as the mechanism facet counts them: a broad mechanism lists the
            # claims of all its narrower ones (one query: the hierarchy is small).
            children = {}
            for child, parent in model.objects.filter(parent__isnull=False).values_list("pk", "parent_id"):
                children.setdefault(parent, []).append(child)
            for pks in found.values():
                for pk in pks:
                    pks.extend(child for child in children.get(pk, []) if child not in pks)
        return found

    return resolve


def _key_resolver(model, field):
    def resolve(values):
        rows = model.objects.filter(**{f"{field}__in": values}).values_list(field, "pk")
        found = {}
        for key, pk in rows:
            found.setdefault(key, []).append(pk)
        return found

    return resolve


def _doi_resolver(values):
    """DOIs match case-insensitively, with or without the https://doi.org/ prefix."""
    wanted = {value: _DOI_PREFIX.sub("", value).lower() for value in values}
    query = Q()
    for doi in set(wanted.values()):
        query |= Q(doi__iexact=doi)
    rows = Citation.objects.filter(query).values_list("doi", "pk") if query else []
    by_doi = {}
    for doi, pk in rows:
        by_doi.setdefault(doi.lower(), []).append(pk)
    return {value: by_doi.get(doi, []) for value, doi in wanted.items()}


def _through(model, column):
    """The ids of the claims a link table links to any of ``ids``, as a subquery written here:
    built as a queryset, it was resolved into the filter and compiled again for every statement
    using it (the count, the page's ids), a tenth of a filtered JSON page.

    The ids are written into the SQL as numbers, not parameters: PostgreSQL then plans the
    prepared statement for this entity's own share of the claims (walk the public ids for a
    common drug, look up a rare one's few claims). With the id a parameter it kept one generic
    plan for every entity, 1.7 ms where the entity's own plan took 0.5 ms (issue 16)."""

    def linked(ids):
        quote = connections[router.db_for_read(model)].ops.quote_name
        numbers = ", ".join(str(int(pk)) for pk in ids)
        table = quote(model._meta.db_table)
        return RawSQL(f"SELECT {quote('claim_id')} FROM {table} WHERE {quote(column)} IN ({numbers})", [])

    return linked


class SearchFilter(django_filters.CharFilter):
    """``q``: full-text search (claims.search: plain words AND, ``OR``, "quoted phrases"; stemmed);
    the terms are resolved to the entities they name once per request, however many facet
    querysets reuse the filter."""

    _resolved = (None, None)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.search(value, named=self.named(value))

    def named(self, value):
        """The entities the words of ``value`` name (``search_names``), resolved once."""
        if self._resolved[0] != value:
            self._resolved = (value, search_names(value))
        return self._resolved[1]


CITED_CHOICES = [("yes", "Cited in the review"), ("no", "Uncited in the review")]
REVIEW_ERROR_CHOICES = [("yes", "Records an error in the review"), ("no", "Records no error in the review")]
# Background statements (direction "background") set the scene rather than report a finding.
BACKGROUND_CHOICES = [("show", "Listed (the API's default)"), ("hide", "Left out (the claim list's default)")]


ORDERING = [
    ("public_id", "id"),
    ("updated", "updated"),
    ("created", "created"),
    ("section__order", "section"),
    ("direction", "direction"),
    ("status", "status"),
]
# Appended to every ordering that lacks it: many claims share a direction, status or section, and
# PostgreSQL returns equal rows in any order, so without a unique last key page-number paging
# skipped some claims and repeated others (issue 15).
TIE_BREAKER = "public_id"


class CommaOrRepeatedWidget(BaseCSVWidget, forms.Select):
    """``ordering=status,-updated`` (the documented form) and ``ordering=status&ordering=-updated``
    mean the same; django-filter alone would keep only the last of repeated values."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist") and len(data.getlist(name)) > 1:
            return [item for value in data.getlist(name) for item in value.split(",")]
        return super().value_from_datadict(data, files, name)


class UniqueOrderingFilter(django_filters.OrderingFilter):
    """django-filter's OrderingFilter, ending every ordering with ``TIE_BREAKER``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CommaOrRepeatedWidget)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or [] if param]
        if not ordering:
            return qs
        if not any(field.lstrip("-") == TIE_BREAKER for field in ordering):
            ordering.append(TIE_BREAKER)
        return qs.order_by(*ordering)


class _CopiedOnce(OrderedDict):
    """A FilterSet's filters, which each instance copies one level deep (django-filter copies
    them deep: their choices, labels and extras, on every request)."""

    def __deepcopy__(self, memo):
        return OrderedDict((name, _copied(given)) for name, given in self.items())


def _copied(given):
    clone = copy.copy(given)
    if getattr(given, "method", None) is not None:
        # A filter with ``method=`` filters through a FilterMethod that points back at the
        # filter (for its parent FilterSet); setting the method again points it at the copy.
        clone.method = given.method
    return clone


# At most this many form classes per FilterSet class: one per set of filters a request names
# (the API builds only those given), so a client cannot grow the process by varying them.
_FORM_CLASSES_KEPT = 256


class LeanFilterSet(django_filters.FilterSet):
    """django-filter's FilterSet without its per-request rebuilding.

    On every request django-filter deep-copies each filter with its choices, then builds a new
    form class, with a new form field per filter, which the form deep-copies once more: an eighth
    of the claim browser's page at 10k claims (issue 16). These filters keep nothing between
    requests but what an instance sets on its own copy (``parent``, ``model``, the form field it
    builds, the names SearchFilter resolves), so each instance copies them one level deep, and
    the form class of a set of filters is built once per FilterSet class (each form still copies
    its fields, as every Django form does)."""

    def __init__(self, *args, **kwargs):
        self.base_filters = _CopiedOnce(self.base_filters)
        super().__init__(*args, **kwargs)

    def get_form_class(self):
        built = type(self).__dict__.get("_form_classes")
        if built is None:
            built = {}
            type(self)._form_classes = built
        key = tuple(self.filters)
        form_class = built.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            if len(built) < _FORM_CLASSES_KEPT:
                built[key] = form_class
        return form_class


class ClaimFilter(LeanFilterSet):
    drug = TermsFilter(
        label="Drug",
        through_filter=_through(Claim.drugs.through, "drug_id"),
        resolve=_entity_resolver(Drug),
        noun="drug",
    )
    cargo = TermsFilter(
        label="Cargo",
        through_filter=_through(Claim.cargo.through, "cargo_id"),
        resolve=_entity_resolver(Cargo),
        noun="cargo",
    )
    cargo_intervention = django_filters.MultipleChoiceFilter(
        label="Cargo intervention", choices=v.CargoIntervention.choices
    )
    target = TermsFilter(
        label="Acts on",
        through_filter=_through(Claim.targets.through, "target_id"),
        resolve=_entity_resolver(Target),
        noun="target",
    )
    cargo_type = django_filters.MultipleChoiceFilter(
        label="Cargo type", choices=v.CargoType.choices, method="filter_cargo_type"
    )
    cell_line = TermsFilter(
        label="Cell line",
        through_filter=_through(ClaimCellLine, "cell_line_id"),
        resolve=_entity_resolver(CellLine),
        noun="cell line",
    )
    mechanism = TermsFilter(
        label="Mechanism",
        through_filter=lambda ids: Claim.objects.filter(mechanism_id__in=ids).values("pk"),
        resolve=_entity_resolver(Mechanism, with_descendants=True),
        noun="mechanism",
    )
    therapy_class = django_filters.MultipleChoiceFilter(label="Therapy class", choices=v.TherapyClass.choices)
    direction = django_filters.MultipleChoiceFilter(label="Direction", choices=v.Direction.choices)
    model = django_filters.MultipleChoiceFilter(label="Model system", choices=v.ModelSystem.choices)
    status = django_filters.MultipleChoiceFilter(label="Status", choices=v.CurationStatus.choices)
    citation_support = django_filters.MultipleChoiceFilter(
        label="Citation support", choices=v.CitationSupport.choices
    )
    section = TermsFilter(
        label="Section",
        through_filter=lambda ids: Claim.objects.filter(section_id__in=ids).values("pk"),
        resolve=_key_resolver(Section, "number"),
        noun="section",
    )
    citation = TermsFilter(
        label="Citation",
        through_filter=_through(Claim.citations.through, "citation_id"),
        resolve=_key_resolver(Citation, "key"),
        noun="citation key",
    )
    cited = django_filters.MultipleChoiceFilter(
        label="Cited in the review", choices=CITED_CHOICES, method="filter_cited"
    )
    pmid = TermsFilter(
        label="PubMed id of a cited work",
        through_filter=_through(Claim.citations.through, "citation_id"),
        resolve=_key_resolver(Citation, "pmid"),
        noun="PubMed id of a cited work",
    )
    doi = TermsFilter(
        label="DOI of a cited work",
        through_filter=_through(Claim.citations.through, "citation_id"),
        resolve=_doi_resolver,
        noun="DOI of a cited work",
    )
    review_errors = django_filters.MultipleChoiceFilter(
        label="Errors in the review", choices=REVIEW_ERROR_CHOICES, method="filter_review_errors"
    )
    background = django_filters.ChoiceFilter(
        label="Background statements",
        choices=BACKGROUND_CHOICES,
        method="filter_background",
        help_text="Claims whose direction is background (what the review states as context, not a "
        "finding): hide leaves them out, show lists them. The API lists them unless asked; the claim list on "
        "the site leaves them out unless background=show is given or a direction filter picks background.",
    )
    q = SearchFilter(
        label="Search",
        max_length=MAX_PARAMETER_LENGTH,
        help_text="Full-text search of statement, quote and entity names, English-stemmed (exosomes finds "
        "exosome and exosomal): every word must match; OR between alternatives (AND binds tighter); "
        '"quoted words" must be adjacent, in order. Results are ranked (statement, then quote, then names), '
        "unless ordering is given.",
    )
    ordering = UniqueOrderingFilter(
        fields=ORDERING,
        label="Sort by",
        help_text="Sort keys, comma-separated (ordering=status,-updated; '-' sorts descending); ties "
        "are broken by the claim id.",
    )

    class Meta:
        model = Claim
        fields = []

    def filter_cargo_type(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            pk__in=Claim.cargo.through.objects.filter(cargo__cargo_type__in=value).values("claim_id")
        )

    def filter_cited(self, queryset, name, value):
        if not value or set(value) == {"yes", "no"}:
            return queryset
        cited = Q(pk__in=Claim.citations.through.objects.values("claim_id"))
        return queryset.filter(cited if value == ["yes"] else ~cited)

    def filter_review_errors(self, queryset, name, value):
        """An error in the review is an open flag of that kind (the transcription records them)."""
        if not value or set(value) == {"yes", "no"}:
            return queryset
        recorded = Q(pk__in=Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR).values("claim_id"))
        return queryset.filter(recorded if value == ["yes"] else ~recorded)

    def filter_background(self, queryset, name, value):
        return queryset.exclude(direction=v.Direction.BACKGROUND) if value == "hide" else queryset

    @property
    def qs(self):
        queryset = super().qs
        query = self.form.cleaned_data.get("q") if self.is_bound and self.form.is_valid() else ""
        if query and not self.form.cleaned_data.get("ordering"):
            # Read score by score only when the search is the only filter: another filter's share
            # of a word's matches is beyond PostgreSQL's estimates (claims.ranked_pages).
            alone = not any(
                value for name, value in self.form.cleaned_data.items() if name not in SEARCH_ALONE
            )
            return queryset.ranked(query, named=self.filters["q"].named(query) if alone else None)
        return queryset


# What may go with a search read score by score: the search, its ordering, the background switch.
SEARCH_ALONE = {"q", "ordering", "background"}

# The parameter names, in display order, that are facets (everything but background, q and ordering).
FACET_PARAMETERS = [
    "drug",
    "cargo",
    "cargo_intervention",
    "cargo_type",
    "target",
    "cell_line",
    "mechanism",
    "therapy_class",
    "direction",
    "model",
    "status",
    "citation_support",
    "section",
    "citation",
    "cited",
    "review_errors",
]


def filtered_claims(params, queryset=None):
    """Apply the claim filters to a QueryDict; returns the FilterSet (check ``.is_valid()``)."""
    return ClaimFilter(params, queryset=queryset if queryset is not None else Claim.objects.all())


class YearsField(forms.Field):
    """A repeated year parameter (OR)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        values = [str(item).strip() for item in values if str(item).strip()]
        if len(values) > MAX_VALUES:
            raise ValidationError(f"At most {MAX_VALUES} values may be given.")
        bad = [item for item in values if not item.isdigit() or not 1800 <= int(item) <= 2100]
        if bad:
            raise ValidationError(
                "%(values)s is not a year (1800 to 2100).",
                params={"values": ", ".join(repr(b[:40]) for b in bad)},
            )
        return sorted({int(item) for item in values})


class YearsFilter(django_filters.Filter):
    field_class = YearsField

    def filter(self, qs, value):
        return qs.filter(year__in=value) if value else qs


YES_NO = [("true", "yes"), ("false", "no")]


class CitationFilter(LeanFilterSet):
    """The citation list's filters (HTML and API): year, has_doi, stub, resolution, q."""

    year = YearsFilter(label="Year")
    has_doi = django_filters.ChoiceFilter(label="Has a DOI", choices=YES_NO, method="filter_has_doi")
    stub = django_filters.ChoiceFilter(label="Known only by its label", choices=YES_NO, method="filter_stub")
    resolution = django_filters.MultipleChoiceFilter(label="Resolution", choices=v.CitationResolution.choices)
    q = django_filters.CharFilter(label="Search", max_length=MAX_PARAMETER_LENGTH, method="filter_q")

    class Meta:
        model = Citation
        fields = []

    def filter_has_doi(self, queryset, name, value):
        return queryset.exclude(doi="") if value == "true" else queryset.filter(doi="")

    def filter_stub(self, queryset, name, value):
        return queryset.stubs() if value == "true" else queryset.exclude(title="")

    def filter_q(self, queryset, name, value):
        """Every word in the key, label, authors, title, journal or DOI (case-insensitively)."""
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(key__icontains=term)
                | Q(label__icontains=term)
                | Q(authors__icontains=term)
                | Q(title__icontains=term)
                | Q(journal__icontains=term)
                | Q(doi__icontains=term)
            )
        return queryset
