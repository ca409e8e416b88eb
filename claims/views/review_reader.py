"""/review/: the review's text by section, every claim's quote highlighted and linked to its claim."""

from bisect import bisect_left
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from claims import vocabulary as v
from claims.models import Citation, Claim, Flag, Source
from claims.review_text import citation_mentions
from claims.selectors import claims_with_relations
from claims.views.review_markup import Annotator, CitedWork, Highlight, visible_start


@dataclass
class Paragraph:
    html: str
    claims: list
    start: int  # where the shown text begins in the review's text (for selections: review_select.js)
    is_caption: bool = False


@dataclass
class ReaderSection:
    section: object
    heading: str
    level: int
    paragraphs: list = field(default_factory=list)
    claim_count: int = 0

    @property
    def anchor(self):
        return f"s-{self.section.number}"


def _claims_for(source):
    review_errors = Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR).only("claim_id", "text")
    return claims_with_relations(
        Claim.objects.filter(source=source)
        .for_display()
        .prefetch_related(Prefetch("flags", queryset=review_errors, to_attr="review_errors"))
        .order_by("quote_start", "-quote_end")
    )


def _hover_text(claim):
    about = [d.name for d in claim.loaded_drugs] + [c.name for c in claim.loaded_cargo]
    about += [link.cell_line.name for link in claim.loaded_cell_line_links]
    if claim.mechanism:
        about.append(claim.mechanism.name)
    suffix = f" [{', '.join(about)}]" if about else ""
    return f"{claim.statement}{suffix}"


def _heading_level(number):
    return 3 if "." in number else 2


def _sections(source, claims, annotator):
    starts = [c.quote_start for c in claims]
    result = []
    for section in source.sections.all():
        spans = [tuple(span) for span in section.spans]
        is_figure, is_abstract = section.number.startswith("fig"), section.number == "abstract"
        heading = section.label
        if spans and not (is_figure or is_abstract):
            start, end = spans.pop(0)  # the heading line, as printed
            heading = source.text[start:end].strip()
        reader_section = ReaderSection(section, heading, 3 if is_figure else _heading_level(section.number))
        for start, end in spans:
            inside = claims[bisect_left(starts, start) : bisect_left(starts, end)]
            shown = visible_start(source.text, start, end)
            html = annotator.render(shown, end)
            reader_section.paragraphs.append(Paragraph(html, inside, shown, is_caption=is_figure))
            reader_section.claim_count += len(inside)
        result.append(reader_section)
    return result


@require_safe
def review(request):
    source = Source.objects.the_review()
    if source is None:
        raise Http404("No review has been loaded yet.")
    claims = _claims_for(source)
    mentions = citation_mentions(source.text)
    cited = Citation.objects.filter(label__in={label for _, _, label in mentions})
    works = {
        c.label: CitedWork(c.key, c.get_absolute_url(), c.claim_count)
        for c in cited.with_claim_counts().only("key", "label")
    }
    highlights = [
        Highlight(
            c.quote_start,
            c.quote_end,
            c.public_id,
            c.get_absolute_url(),
            _hover_text(c),
            bool(c.review_errors),
        )
        for c in claims
    ]
    annotator = Annotator(source.text, highlights, works)
    sections = _sections(source, claims, annotator)
    unbacked = [label for _, _, label in mentions if label in works and not works[label].claim_count]
    context = {
        "source": source,
        "sections": sections,
        "claim_count": len(claims),
        "flagged_count": sum(bool(c.review_errors) for c in claims),
        "mention_count": len(mentions),
        "unbacked_mentions": len(unbacked),
        "unbacked_works": len(set(unbacked)),
    }
    return render(request, "claims/review.html", context)
