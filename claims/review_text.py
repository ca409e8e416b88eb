"""The review's text: its sections, its in-text citation labels and quote anchoring.

Pure Python (no Django) so that the transcription checker, the loader and the tests all
read the review the same way.
"""

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

REVIEW_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "review" / "review.txt"

# How much context a text-quote anchor keeps on each side (W3C TextQuoteSelector style).
ANCHOR_CONTEXT = 32

_HEADING = re.compile(r"^\s*(\d(?:\.\d)?) ([A-Z].*)$")
_FIGURE = re.compile(r"^\[image: Figure (\d)\]FIGURE \d \| (.*)$")
# A parenthetical group that ends in a year, e.g. "(Ning et al., 2017; Mao and Jin, 2019)".
_CITATION_GROUP = re.compile(r"\(([^()]*?\b(?:19|20)\d\d[a-z]?)\)")
_LABEL = re.compile(r"^(?P<authors>.+?),\s*(?P<year>(?:19|20)\d\d)(?P<suffix>[a-z]?)$")


def read_review(path: str | Path = REVIEW_PATH) -> str:
    return Path(path).read_text(encoding="utf-8")


@dataclass(frozen=True)
class SectionSpan:
    number: str  # "abstract", "1", "3.1", "fig2"
    title: str
    order: int
    spans: tuple[tuple[int, int], ...]  # ((start, end), ...) character ranges of the review that belong to it

    def contains(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.spans)


def split_sections(text: str) -> list[SectionSpan]:
    """Every line of the review belongs to exactly one section; figure captions are their own."""
    current = "abstract"
    titles: dict[str, str] = {current: "Abstract"}
    spans: dict[str, list[tuple[int, int]]] = {current: []}
    order = [current]
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        heading = _HEADING.match(line)
        figure = _FIGURE.match(line)
        if heading:
            current = heading.group(1)
            titles[current], spans[current] = heading.group(2).strip(), [(start, end)]
            order.append(current)
            continue
        if figure:
            number = f"fig{figure.group(1)}"
            titles[number], spans[number] = f"Figure {figure.group(1)}", [(start, end)]
            order.append(number)
            continue
        if line.strip():
            spans[current].append((start, end))
    return [
        SectionSpan(number=n, title=titles[n], order=i, spans=tuple(spans[n])) for i, n in enumerate(order)
    ]


def paragraph_bounds(text: str, start: int) -> tuple[int, int]:
    """The line (paragraph) of the review that holds character ``start``."""
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    return begin, (len(text) if end == -1 else end)


def citation_mentions(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, label) of every in-text citation label between ``start`` and ``end``."""
    end = len(text) if end is None else end
    found: list[tuple[int, int, str]] = []
    for group in _CITATION_GROUP.finditer(text, start, end):
        offset = group.start(1)
        for part in group.group(1).split(";"):
            label = part.strip()
            if label and _LABEL.match(label):
                begin = offset + part.index(label)
                found.append((begin, begin + len(label), label))
            offset += len(part) + 1
    return found


def extract_citation_labels(text: str) -> list[str]:
    """In-text citation labels in order of appearance (with repeats)."""
    return [label for _, _, label in citation_mentions(text)]


def _ascii_fold(value: str) -> str:
    value = value.replace("Ł", "L").replace("ł", "l")
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")


def parse_label(label: str) -> tuple[str, int, str]:
    """Split an in-text label into (first author as printed, year, suffix)."""
    match = _LABEL.match(label)
    if not match:
        raise ValueError(f"not an author-year citation label: {label!r}")
    authors = match.group("authors")
    first = re.split(r" et al\.| and ", authors)[0].strip()
    return first, int(match.group("year")), match.group("suffix")


def citation_key(label: str) -> str:
    """A stable key from a label: first author's surname folded to ASCII + year + suffix.

    Group authors use their acronym when the label carries one ("... EBCTCG, 2011").
    """
    first, year, suffix = parse_label(label)
    words = first.split()
    acronym = [w for w in words if len(w) > 2 and w.isupper()]
    surname = acronym[-1] if len(words) > 2 and acronym else first
    stem = re.sub(r"[^a-z]", "", _ascii_fold(surname).lower())
    return f"{stem}{year}{suffix}"


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


class QuoteError(ValueError):
    pass


def anchor_quote(
    text: str, quote: str | None, occurrence: int | None = None, within: SectionSpan | None = None
) -> Anchor:
    """Locate ``quote`` in ``text`` exactly; ``occurrence`` (1-based) picks among repeats.

    ``within`` is an optional SectionSpan the quote must lie in. Raises QuoteError with a
    message that says what is wrong.
    """
    if not quote or not quote.strip():
        raise QuoteError("the quote is empty")
    positions: list[int] = []
    index = text.find(quote)
    while index != -1:
        if within is None or within.contains(index, index + len(quote)):
            positions.append(index)
        index = text.find(quote, index + 1)
    where = f" in section {within.number}" if within is not None else ""
    if not positions:
        raise QuoteError(f"the quote is not an exact span of the review{where}: {quote[:80]!r}")
    if occurrence is None:
        if len(positions) > 1:
            raise QuoteError(f"the quote occurs {len(positions)} times{where}; say which with 'occurrence'")
        occurrence = 1
    if not 1 <= occurrence <= len(positions):
        raise QuoteError(f"occurrence {occurrence} asked, but the quote occurs {len(positions)} times{where}")
    start = positions[occurrence - 1]
    end = start + len(quote)
    return Anchor(
        start=start,
        end=end,
        exact=quote,
        prefix=text[max(0, start - ANCHOR_CONTEXT) : start],
        suffix=text[end : end + ANCHOR_CONTEXT],
    )
