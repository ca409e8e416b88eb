"""The review's text as HTML, with claim quotes highlighted and in-text citations linked.

Quotes may overlap (two claims on one sentence, or one claim inside another's quote), so a span
of text is cut wherever any quote starts or ends; each piece is wrapped in one ``<mark>`` per
claim covering it, outermost first, which always nests correctly. A claim's first piece carries
its public id as the element id, so ``/review/#CLM-0042`` lands on the quote.

Every piece of text goes through ``escape``: the review is trusted, but claim ids, titles and
citation labels come from the database.
"""

from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from claims.review_text import citation_mentions

# Figure captions start with an image placeholder the reader does not need to see.
FIGURE_PREFIX = "]FIGURE"


@dataclass(frozen=True)
class Highlight:
    start: int
    end: int
    key: str  # the claim's public id
    url: str
    title: str = ""  # hover text for the claim's marker
    flagged: bool = False  # the claim records an error in the review


@dataclass(frozen=True)
class CitedWork:
    key: str
    url: str
    claim_count: int


def visible_start(text, start, end):
    """Where a line's readable text begins (after a figure's '[image: Figure N]' placeholder)."""
    if text.startswith("[image:", start):
        marker = text.find(FIGURE_PREFIX, start, end)
        if marker != -1:
            return marker + 1
    return start


class Annotator:
    """Renders spans of one text; remembers which claim ids and citation anchors it has used."""

    def __init__(self, text, highlights, works, *, refs=True, anchors=True):
        self.text = text
        self.highlights = sorted(highlights, key=lambda h: (h.start, -h.end, h.key))
        self.works = works  # {label: CitedWork}
        self.refs, self.anchors = refs, anchors
        self.opened = set()
        self.mention_counts = {}

    def render(self, start, end):
        """Safe HTML for text[start:end]."""
        inside = [h for h in self.highlights if h.start < end and h.end > start]
        cuts = {start, end}
        cuts.update(point for h in inside for point in (h.start, h.end) if start < point < end)
        cuts = sorted(cuts)
        mentions = citation_mentions(self.text, start, end)
        parts = []
        for left, right in zip(cuts, cuts[1:], strict=False):
            covering = [h for h in inside if h.start <= left and h.end >= right]
            parts.append(self._run(left, right, covering, mentions))
            if self.refs:
                parts += [self._ref(h) for h in inside if h.end == right]
        return mark_safe("".join(parts))

    def _run(self, left, right, covering, mentions):
        opening = []
        for h in covering:
            ident = ""
            if h.key not in self.opened:
                self.opened.add(h.key)
                ident = format_html(' id="{}"', h.key)
            css = "quote quote-flagged" if h.flagged else "quote"
            opening.append(format_html('<mark class="{}" data-claim="{}"{}>', css, h.key, ident))
        body = self._text_with_mentions(left, right, mentions)
        return "".join(opening) + body + "</mark>" * len(covering)

    def _text_with_mentions(self, left, right, mentions):
        parts, cursor = [], left
        for begin, end, label in mentions:
            if end <= left or begin >= right:
                continue
            first = begin >= left  # a label cut by a quote boundary is anchored once, at its start
            begin, end = max(begin, left), min(end, right)
            parts.append(escape(self.text[cursor:begin]))
            parts.append(self._mention(label, self.text[begin:end], first=first))
            cursor = end
        parts.append(escape(self.text[cursor:right]))
        return "".join(parts)

    def _mention(self, label, shown, *, first):
        work = self.works.get(label)
        if work is None:
            return format_html('<span class="cite cite-unknown">{}</span>', shown)
        css = "cite" if work.claim_count else "cite cite-unclaimed"
        title = (
            f"{work.claim_count} claim{'' if work.claim_count == 1 else 's'} rest on this work"
            if work.claim_count
            else "No claim rests on this work yet"
        )
        ident = ""
        if self.anchors and first:
            number = self.mention_counts.get(work.key, 0) + 1
            self.mention_counts[work.key] = number
            ident = format_html(' id="cite-{}-{}"', work.key, number)
        return format_html('<a class="{}" href="{}" title="{}"{}>{}</a>', css, work.url, title, ident, shown)

    def _ref(self, highlight):
        # <wbr>: several quotes can end at one point, and their markers must be able to wrap.
        return format_html(
            '<wbr><a class="claim-ref" href="{}" title="{}">{}</a>',
            highlight.url,
            highlight.title,
            highlight.key,
        )
