"""The works the review cites: a list, and a page per work with the claims resting on it."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from claims.filters import CitationFilter
from claims.models import Citation, Claim, Section
from claims.review_text import citation_mentions
from claims.services.bibtex.export import citation_to_bibtex
from claims.views.review_reader import the_review

CITATIONS_PER_PAGE = 100


@require_safe
def citation_list(request):
    listed = Citation.objects.only(
        "key", "label", "first_author", "year", "year_suffix", "title", "journal", "doi", "pmid"
    ).order_by("first_author", "year", "year_suffix", "key")
    filterset = CitationFilter(request.GET, queryset=listed)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "errors": [
            (filterset.filters[name].label, name, error)
            for name, errors in filterset.form.errors.items()
            for error in errors
        ],  # fmt: skip
        "form": filterset.form,
        "filtered": any(params.getlist(name) for name in filterset.filters),
        "api_url": f"/api/citations/?{params.urlencode()}" if params else "/api/citations/",
        "bibtex_url": f"/api/citations/?{urlencode([*params.lists(), ('format', 'bibtex')], doseq=True)}",
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
    context |= {
        "page": page,
        "stub_count": works.stubs().count(),
        "unclaimed_count": works.filter(claims__isnull=True).count(),
    }
    return render(request, "claims/citation_list.html", context)


def _places_in_review(citation):
    """Where the review cites the work: [(section, anchor id)], in reading order."""
    review = the_review()
    if review is None:
        return []
    sections = list(Section.objects.filter(source=review).only("number", "title", "spans"))
    places = []
    for begin, _, label in citation_mentions(review.text):
        if label != citation.label:
            continue
        section = next((s for s in sections if any(a <= begin < b for a, b in s.spans)), None)
        places.append((section, f"cite-{citation.key}-{len(places) + 1}"))
    return places


@require_safe
def citation_detail(request, key):
    citation = get_object_or_404(Citation, key=key)
    claims = Claim.objects.with_relations().filter(citations=citation)
    context = {
        "citation": citation,
        "claims": claims,
        "places": _places_in_review(citation),
        "bibtex": citation_to_bibtex(citation),
        "api_url": f"/api/citations/{citation.key}/",
        "claims_api_url": f"/api/claims/?citation={citation.key}",
    }
    return render(request, "claims/citation_detail.html", context)
