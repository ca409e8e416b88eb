"""The HTML a page repeats row by row, written in Python: a claim as a row of the claim browser
(``{% claim_row claim query %}``), a cited work as a short reference (``{% citation_ref citation
full=True %}``) and a facet's options (``{% facet_options options %}``).

They were template includes, rendered 25 times a page for the claims and a hundred or more for
the facets, each a few hundred variable lookups, filters and nested includes: two thirds of the
browser's time (issue 16's profiles). Django's admin builds its change-list rows the same way
(``items_for_result``, in Python). Every value is escaped as the template engine escapes it
(safe HTML, such as the search highlights, as it is; anything else through ``html.escape``, which
is what ``django.utils.html.escape`` calls), and the relations are the ones claims.selectors
loaded, so a row runs no query.
"""

import functools
import html
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import template
from django.db.models import Model
from django.utils.safestring import SafeString, mark_safe

from claims.models import Citation, CitationCheck, Claim, ClaimCellLine
from claims.search import escape_text, highlighted, parse_query, quote_snippet
from claims.templatetags.citations import cited_works

if TYPE_CHECKING:
    from claims.views.browse import FacetOption

register = template.Library()


@functools.cache
def _labels(model: type[Model], field: str) -> dict[object, str]:
    """A choice field's labels by stored value, as ``get_<field>_display`` gives them."""
    choices = model._meta.get_field(field).flatchoices  # type: ignore[union-attr]
    return {value: str(label) for value, label in choices}


def label(obj: Model, field: str) -> str:
    """``obj.get_<field>_display()``, from a dict built once instead of on every call."""
    value = getattr(obj, field)
    return _labels(type(obj), field).get(value, value)


def e(value: object) -> str:
    """A value as the template engine shows it (``conditional_escape``): safe HTML as it is, anything
    else as text, escaped (None as 'None')."""
    if type(value) is str:  # the usual case
        return escape_text(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.simple_tag
def facet_options(options: Iterable["FacetOption"]) -> SafeString:
    """A facet's options (claims.views.browse.FacetOption) as ``<li>`` links: label and count; a selected
    option says so, and following it removes the filter; ``depth`` indents a narrower term."""
    rows = []
    for option in options:
        depth = f' class="facet-depth-{e(option.depth)}"' if option.depth else ""
        selected = option.selected
        rows.append(
            f'<li{depth}><a class="facet-option{" is-selected" if selected else ""}" href="{e(option.url)}"'
            f'{' aria-current="true"' if selected else ""}><span class="check" aria-hidden="true"></span>'
            f'<span class="facet-label">{e(option.label)}</span>'
            f"{'<span class="visually-hidden"> (selected; follow to remove)</span>' if selected else ''}"
            f'<span class="count">{e(option.count)}</span></a></li>'
        )
    return mark_safe("".join(f"{row}\n" for row in rows))


@register.simple_tag
def citation_ref(citation: Citation, full: bool = False) -> SafeString:
    """A cited work as a short reference ('Chen W, Liu X, et al. (2014) Cell Death Dis'; with
    ``full``, its title, volume, issue and pages too), then its DOI, PubMed and PMC links; a work
    nobody has identified yet shows its label and how far its resolution got."""
    if citation.author_names or citation.title:
        parts = ['<span class="citation-ref">']
        if citation.author_names:
            parts.append(f"{e(citation.short_authors)} ")
        if full and citation.title:
            parts.append(f"{e(citation.title)} ")
        parts.append(f"({e(citation.year)}{e(citation.year_suffix)})")
        journal = citation.journal_abbrev or citation.journal
        if journal:
            parts.append(f" <cite>{e(journal)}</cite>")
        if full and citation.volume:
            parts.append(f" {e(citation.volume)}")
            if citation.issue:
                parts.append(f"({e(citation.issue)})")
            if citation.pages:
                parts.append(f":{e(citation.pages)}")
        parts.append("</span>")
        reference = "".join(parts)
    else:
        resolution = e(citation.resolution)
        shown = e(label(citation, "resolution").lower())
        reference = (
            f'<span class="citation-ref muted">{e(citation.label)} '
            f'<span class="resolution resolution-{resolution}">{shown}</span></span>'
        )
    doi = f'<a href="{e(citation.doi_url)}" class="ext">DOI</a>' if citation.doi else ""
    if citation.pmid:
        pubmed = f'<a href="{e(citation.pubmed_url)}" class="ext pubmed">PubMed</a>'
    elif search := citation.pubmed_search_url:
        by = "DOI" if citation.doi else "title"
        pubmed = (
            f'<a href="{e(search)}" class="ext pubmed-search" title="No PMID is recorded: search PubMed '
            f'by {by}">Search PubMed</a>'
        )
    else:
        pubmed = ""
    pmc = f'<a href="{e(citation.pmc_url)}" class="ext">PMC</a>' if citation.pmcid else ""
    return mark_safe(f"{reference}\n{doi}\n{pubmed}\n{pmc}\n")


def _links(objects: Iterable[Model]) -> str:
    return ", ".join(f'<a href="{e(o.get_absolute_url())}">{e(o.name)}</a>' for o in objects)  # type: ignore[attr-defined]


def _fact(term: str, value: str, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<div{attribute}><dt>{term}</dt><dd>{value}</dd></div>"


def _cell_lines(links: Iterable[ClaimCellLine]) -> str:
    return ", ".join(
        f'<a href="{e(link.cell_line.get_absolute_url())}">{e(link.cell_line.name)}</a> '
        f'<span class="muted">({e(label(link, "role").lower())})</span>'
        for link in links
    )


def _support(check: CitationCheck | None) -> str:
    if check is None:
        return ""
    title = e(label(check, "level")) + (f": {e(check.record)}" if check.record else "")
    return (
        f' <span class="support support-{e(check.support)}" title="{title}">'
        f"{e(label(check, 'support'))}</span>"
    )


def _cited(claim: Claim) -> str:
    works = "".join(
        f'<li data-citation="{e(work.citation.key)}"><a href="{e(work.citation.get_absolute_url())}" '
        f'class="citation-label">{e(work.citation.label)}</a> {citation_ref(work.citation)}'
        f"{_support(work.check)}</li>"
        for work in cited_works(claim)
    )
    return f'<ul class="cited-works">{works}</ul>'


@register.simple_tag
def claim_row(claim: Claim, query: str = "") -> SafeString:
    """The claim as an ``<li>`` of the browser's list: its id, direction, status and badges, its
    statement (the query's words marked), the stretch of the quote a search matched, and its
    facts: drugs, cargo, targets, cell lines, mechanism, therapy, model, section and cited works.
    ``claim`` comes from claims.selectors (relations loaded); ``records_review_error`` is the
    browser's annotation, absent elsewhere."""
    pid, url = e(claim.public_id), e(claim.get_absolute_url())
    groups = parse_query(query) if query else None
    badges = []
    if not claim.loaded_citations:
        badges.append('<span class="badge-uncited">uncited in the review</span>')
    if getattr(claim, "records_review_error", False):
        badges.append(f'<a class="flag-badge" href="{url}#errors-title">error in the review</a>')
    statement = highlighted(claim.statement, groups) if groups else e(claim.statement)
    quoted = quote_snippet(claim.statement, claim.quote, groups) if groups else ""
    matched = (
        f'<p class="search-snippet"><span class="muted">The review:</span> {e(quoted)}</p>' if quoted else ""
    )
    facts = []
    if claim.loaded_drugs:
        facts.append(_fact("Drug", _links(claim.loaded_drugs)))
    if claim.loaded_cargo:
        intervention = ""
        if claim.cargo_intervention != "not_applicable":
            intervention = f' <span class="intervention muted">(cargo {e(claim.cargo_intervention)})</span>'
        facts.append(_fact("Cargo", _links(claim.loaded_cargo) + intervention))
    if claim.loaded_targets:
        facts.append(_fact("Acts on", _links(claim.loaded_targets)))
    if claim.loaded_cell_line_links:
        facts.append(_fact("Cell lines", _cell_lines(claim.loaded_cell_line_links)))
    if mechanism := claim.mechanism:
        facts.append(
            _fact("Mechanism", f'<a href="{e(mechanism.get_absolute_url())}">{e(mechanism.name)}</a>')
        )
    facts.append(_fact("Therapy", e(label(claim, "therapy_class"))))
    facts.append(_fact("Model", e(label(claim, "model"))))
    facts.append(_fact("Section", e(claim.section.label)))
    if claim.loaded_citations:
        facts.append(_fact("Cites", _cited(claim), "cites"))
    separator = "\n      "
    return mark_safe(
        f'<li class="claim-row" data-public-id="{pid}">\n'
        f'  <article aria-labelledby="statement-{pid}">\n'
        f'    <p class="claim-row-head">\n'
        f'      <a class="claim-id" href="{url}">{pid}</a>\n'
        f'      <span class="tag tag-{e(claim.direction)}">{e(label(claim, "direction"))}</span>\n'
        f'      <span class="status status-{e(claim.status)}">{e(label(claim, "status"))}</span>\n'
        f"      {separator.join(badges)}\n"
        f"    </p>\n"
        f'    <h3 class="statement" id="statement-{pid}"><a href="{url}">{statement}</a></h3>\n'
        f"    {matched}\n"
        f'    <dl class="claim-facts">\n'
        f"      {separator.join(facts)}\n"
        f"    </dl>\n"
        f"  </article>\n"
        f"</li>\n"
    )
