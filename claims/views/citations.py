"""The works the review cites: a list, and a page per work with the claims resting on it."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from claims import vocabulary as v
from claims.filters import CitationFilter
from claims.models import Citation, Claim, Section, Source
from claims.review_text import citation_mentions, paragraph_bounds
from claims.selectors import claims_with_relations
from claims.services.bibtex.export import citation_to_bibtex

CITATIONS_PER_PAGE = 100
LIST_FIELDS = [
    "key",
    "label",
    "first_author",
    "author_names",
    "year",
    "year_suffix",
    "title",
    "journal",
    "journal_abbrev",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "pmcid",
    "resolution",
]
# A sentence ends at . ! or ? followed by a space and a capital (or an opening bracket): labels
# ("Wang et al., 2019") never end a sentence, as "al." is always followed by a comma.
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\[“\"])")
DOWNLOADS = [("bibtex", "BibTeX"), ("csl-json", "CSL-JSON"), ("ris", "RIS")]


def _download_urls(params, base):
    return [
        (label, f"{base}?{urlencode([*params.lists(), ('format', fmt)], doseq=True)}")
        for fmt, label in DOWNLOADS
    ]


@require_safe
def citation_list(request):
    listed = Citation.objects.only(*LIST_FIELDS).order_by("first_author", "year", "year_suffix", "key")
    filterset = CitationFilter(request.GET, queryset=listed)
    params = request.GET.copy()
    params.pop("page", None)
    api_citations = reverse("api:citation-list")
    context = {
        "errors": [
            (filterset.filters[name].label, name, error)
            for name, errors in filterset.form.errors.items()
            for error in errors
        ],
        "form": filterset.form,
        "resolutions": v.CitationResolution.choices,
        "selected_resolutions": request.GET.getlist("resolution"),
        "filtered": any(params.getlist(name) for name in filterset.filters),
        "api_url": f"{api_citations}?{params.urlencode()}" if params else api_citations,
        "downloads": _download_urls(params, api_citations),
    }
    if context["errors"]:
        return render(request, "claims/citation_list.html", context, status=400)
    works = filterset.qs
    page = Paginator(works, CITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    # Counted for the page's works only: counting every work's claims costs seconds at scale.
    counts = dict(
        Claim.citations.through.objects.filter(citation_id__in=[c.pk for c in page])
        .values_list("citation_id")
        .annotate(n=Count("claim_id"))
        .order_by()
    )
    for citation in page:
        citation.claim_count = counts.get(citation.pk, 0)
    by_resolution = dict(works.order_by().values_list("resolution").annotate(n=Count("pk")))
    context |= {
        "page": page,
        "resolution_counts": [
            (value, label, by_resolution[value])
            for value, label in v.CitationResolution.choices
            if by_resolution.get(value)
        ],
        "unclaimed_count": works.filter(claims__isnull=True).count(),
    }
    return render(request, "claims/citation_list.html", context)


@dataclass(frozen=True)
class Place:
    """One mention of the work in the review: its section, the sentence, and the reader's anchor."""

    section: object
    sentence: str
    anchor: str


def sentence_around(text, start, end):
    """The sentence of the review holding ``text[start:end]`` (within its paragraph)."""
    first, last = paragraph_bounds(text, start)
    begin = first
    for match in _SENTENCE_END.finditer(text, first, start):
        begin = match.end()
    stop = _SENTENCE_END.search(text, end, last)
    return text[begin : stop.end() if stop else last].strip()


def _places_in_review(citation):
    """Where the review cites the work, in reading order, each with its sentence."""
    review = Source.objects.the_review()
    if review is None:
        return []
    sections = list(Section.objects.filter(source=review).only("number", "title", "spans"))
    places = []
    for begin, end, label in citation_mentions(review.text):
        if label != citation.label:
            continue
        section = next((s for s in sections if any(a <= begin < b for a, b in s.spans)), None)
        anchor = f"cite-{citation.key}-{len(places) + 1}"
        places.append(Place(section, sentence_around(review.text, begin, end), anchor))
    return places


@require_safe
def citation_detail(request, key):
    citation = get_object_or_404(Citation, key=key)
    claims = claims_with_relations(Claim.objects.for_display().filter(citations=citation))
    for claim in claims:
        # The relation query already loaded every check of the claim: pick this work's.
        claim.check_here = next(
            (c for c in claim.loaded_citation_checks if c.citation_id == citation.pk), None
        )
    context = {
        "citation": citation,
        "claims": claims,
        "places": _places_in_review(citation),
        "bibtex": citation_to_bibtex(citation),
        "api_url": reverse("api:citation-detail", args=[citation.key]),
        "claims_api_url": f"{reverse('api:claim-list')}?{urlencode({'citation': citation.key})}",
    }
    return render(request, "claims/citation_detail.html", context)
