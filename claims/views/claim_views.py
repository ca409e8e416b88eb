"""The claim browser (/claims/) and a claim's page (/claims/<public id>/).

A claim's address is also its identifier in the JSON-LD records, so it answers tools too: the
API's JSON for ``Accept: application/json``, the nanopublication for ``application/ld+json``
(the URLconf hands over the API's view, which these pages may not import).
"""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from claims import vocabulary as v
from claims.models import Citation, Claim, Flag
from claims.models.claim import polarity
from claims.review_text import citation_mentions, paragraph_bounds
from claims.selectors import claims_with_relations
from claims.views.browse import claim_browser, render_browser
from claims.views.citing import claim_bibtex, claim_citation_text
from claims.views.curation_workflow import curation_panel_context
from claims.views.negotiation import HTML, JSON, JSONLD, preferred_type, unknown_format, varying
from claims.views.review_markup import Annotator, CitedWork, Highlight, visible_start

# Related claims listed on a claim's page (the rest are one click away on the entity pages).
RELATED_SHOWN = 20


@require_safe
def claim_list(request):
    return render_browser(request, "claims/claim_list.html", {"browser": claim_browser(request)})


def _quote_in_paragraph(claim):
    """The paragraph(s) of the review holding the quote, with the quote and its citations marked."""
    text = claim.source.text
    start, _ = paragraph_bounds(text, claim.quote_start)
    _, end = paragraph_bounds(text, max(claim.quote_start, claim.quote_end - 1))
    start = min(visible_start(text, start, end), claim.quote_start)
    labels = {label for _, _, label in citation_mentions(text, start, end)}
    works = {
        c.label: CitedWork(c.key, c.get_absolute_url(), c.claim_count)
        for c in Citation.objects.filter(label__in=labels).with_claim_counts().only("key", "label")
    }
    highlight = Highlight(claim.quote_start, claim.quote_end, "quote", "", flagged=False)
    return Annotator(text, [highlight], works, refs=False, anchors=False).render(start, end)


@require_safe
def claim_detail(request, public_id, data_view=None):
    """The page, or ``data_view`` (the API's claim view) when the request asks for JSON or JSON-LD."""
    offered = [HTML, JSON, JSONLD] if data_view is not None else [HTML]
    wanted = preferred_type(request, offered)
    if wanted is None:
        return unknown_format(request, offered)
    if wanted != HTML:
        return varying(data_view(request, public_id=public_id))
    return varying(_claim_page(request, public_id))


def _claim_page(request, public_id):
    claim = get_object_or_404(Claim.objects.for_display().select_related("source"), public_id=public_id)
    (claim,) = claims_with_relations([claim])
    flags = list(Flag.objects.open().filter(claim=claim))
    related = list(
        Claim.objects.related_to(claim).only("public_id", "statement", "direction")[: RELATED_SHOWN + 1]
    )
    # Each with its citations: the claims, then one query for their relations (none if no claims).
    contradicting = claims_with_relations(Claim.objects.contradicting(claim).for_display())
    corroborating = claims_with_relations(Claim.objects.corroborating(claim).for_display())
    url = request.build_absolute_uri(claim.get_absolute_url())
    context = {
        "claim": claim,
        "paragraph": _quote_in_paragraph(claim),
        "review_errors": [f for f in flags if f.kind == v.FlagKind.REVIEW_ERROR],
        "other_flags": [f for f in flags if f.kind != v.FlagKind.REVIEW_ERROR],
        "related": related[:RELATED_SHOWN],
        "more_related": len(related) > RELATED_SHOWN,
        "contradicting": contradicting,
        "corroborating": corroborating,
        "compared": polarity(claim) is not None,
        "cite_text": claim_citation_text(claim, url),
        "cite_bibtex": claim_bibtex(claim, url),
        # Status changes, editing, history and flagging, for signed-in users (curation views).
        "curation": curation_panel_context(request, claim) if request.user.is_authenticated else None,
        "api_url": reverse("api:claim-detail", args=[claim.public_id]),
        "reader_url": f"{reverse('claims:review')}#{claim.public_id}",
    }
    return render(request, "claims/claim_detail.html", context)
