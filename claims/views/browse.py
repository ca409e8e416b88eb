"""The faceted claim browser, shared by /claims/ and the entity pages.

Filtering is claims/filters.py and counting is claims/facets.py; this module only turns them into
what a page shows: facet values as links that add or remove themselves from the query string,
the active filters as removable chips, a page of results, and the download links to the API.

On the claim list, background statements (direction "background": the review's context, not its
findings) are hidden unless ``background=show`` is asked for or a direction filter picks them; entity
pages show them unless ``background=hide``. A switch says how many there are, and the counts, the
results and the download links all leave hidden ones out alike. An empty search offers the entity
names nearest to its words.

Within a facet, values combine with OR, so each facet that has a selection is counted against
the claims matched by every *other* filter (the usual disjunctive faceting): its counts then say
how many claims a click would add, not how many are already in the results.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode

from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.urls import reverse

from claims import vocabulary as v
from claims.facets import CachedCountPaginator, facet_counts
from claims.filters import CITED_CHOICES, FACET_PARAMETERS, REVIEW_ERROR_CHOICES, filtered_claims
from claims.models import Flag
from claims.selectors import claims_with_relations
from claims.suggestions import nearest_names

PAGE_SIZE = 25
# Facet values listed before the rest fold away under "more".
FACET_SHOWN = 8
DOWNLOAD_FORMATS = [
    ("csv", "CSV"),
    ("json", "JSON"),
    ("bibtex", "BibTeX of the cited works"),
    ("csl-json", "CSL-JSON of the cited works"),
    ("ris", "RIS of the cited works"),
]
# Filters shown as chips though they are no facet (too many values to count).
CHIP_ONLY = ["pmid", "doi"]
# What the sort menu offers (OrderingFilter values in claims/filters.py).
SORT_CHOICES = [
    ("", "Identifier"),
    ("section", "Reading order"),
    ("-updated", "Recently updated"),
    ("direction", "Direction"),
    ("status", "Status"),
]
# Parameters whose values are vocabulary codes, with the labels chips show for them.
CHOICE_LABELS = {
    "cargo_type": dict(v.CargoType.choices),
    "cargo_intervention": dict(v.CargoIntervention.choices),
    "cited": dict(CITED_CHOICES),
    "review_errors": dict(REVIEW_ERROR_CHOICES),
    "therapy_class": dict(v.TherapyClass.choices),
    "direction": dict(v.Direction.choices),
    "model": dict(v.ModelSystem.choices),
    "status": dict(v.CurationStatus.choices),
    "citation_support": dict(v.CitationSupport.choices),
}
# Parameters that never travel in facet links: the page number is reset by any change.
_RESET = ("page",)


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    url: str
    selected: bool
    depth: int = 0


@dataclass
class Facet:
    parameter: str
    label: str
    options: list
    selected_count: int = 0

    @property
    def shown(self):
        return self.options[:FACET_SHOWN]

    @property
    def folded(self):
        return self.options[FACET_SHOWN:]


@dataclass
class Chip:
    label: str
    value: str
    remove_url: str


@dataclass
class BackgroundSwitch:
    """Whether background statements are hidden, how many the other filters match, and the link
    that flips the switch."""

    hidden: bool
    count: int
    url: str


@dataclass
class Suggestion:
    name: str
    noun: str
    url: str


@dataclass
class Browser:
    """Everything the claim browser templates need."""

    filterset: object
    errors: list
    page: object = None
    facets: list = field(default_factory=list)
    chips: list = field(default_factory=list)
    query: str = ""
    ordering: str = ""
    sort_choices: list = field(default_factory=list)
    hidden_params: list = field(default_factory=list)
    downloads: list = field(default_factory=list)
    api_url: str = ""
    clear_url: str = ""
    background: BackgroundSwitch | None = None
    suggestions: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.errors

    @property
    def count(self):
        return self.page.paginator.count if self.page else 0


def render_browser(request, template_name, context):
    """``render()`` of a page showing ``context["browser"]`` (400 when its filters are invalid),
    the browser's page of claims and facets let go of once the HTML is written.

    The template engine's context is a reference cycle (each ContextDict it pushes points back at
    its Context), so everything the page showed (25 claims with their relations, a few hundred
    facet options: some 1,500 objects) waited for the cycle collector, which then walked all that
    had piled up: one request in fifty took three times as long (issue 16)."""
    browser = context["browser"]
    response = render(request, template_name, context, status=200 if browser.is_valid else 400)
    browser.page, browser.facets = None, []
    return response


def _user_params(request, fixed):
    params = request.GET.copy()
    for name in (*fixed, *_RESET):
        params.pop(name, None)
    return params


def _link(path, params):
    query = params.urlencode()
    return f"{path}?{query}" if query else path


def _same(a, b):
    return a.strip().casefold() == b.strip().casefold()


def _toggler(path, params, name):
    """The link that adds a value of one facet to the query, or removes it when chosen (compared
    as ``_same`` does), for every value of the facet, encoding the rest of the query once.

    A facet lists up to hundreds of values and copying the QueryDict for each was a tenth of the
    time of /claims/ (bench/results); where ``name`` is not in the query yet, adding a value
    appends ``&name=value`` to the same encoded query, exactly as the copy would encode it.
    """
    if name not in params:
        base = params.urlencode()
        # What urlencode([(name, value)]) writes, the name quoted once, not for every value.
        glue = (f"{path}?{base}&" if base else f"{path}?") + quote_plus(name) + "="
        return lambda value: glue + quote_plus(str(value))
    # In use: the parameters before and after it encoded once, its own values per link (a copy
    # per value was 5 % of a filtered page).
    keys = list(params)
    at = keys.index(name)
    before, after = (_encoded(params, part) for part in (keys[:at], keys[at + 1 :]))
    values = params.getlist(name)

    def toggled(value):
        kept = [item for item in values if not _same(item, value)]
        own = urlencode([(name, item) for item in (kept if len(kept) < len(values) else [*values, value])])
        query = "&".join(part for part in (before, own, after) if part)
        return f"{path}?{query}" if query else path

    return toggled


def _encoded(params, keys):
    """``params.urlencode()`` of only ``keys``, in their order (a key without values adds nothing)."""
    return "&".join(part for key in keys if (part := urlencode([(key, v) for v in params.getlist(key)])))


def _without(path, params, name, value=None):
    params = params.copy()
    params.setlist(name, [] if value is None else [i for i in params.getlist(name) if i != value])
    return _link(path, params)


def _queryset_without(filterset, *skip):
    """The claims matched by every filter but those in ``skip``, reusing the validated values."""
    queryset = filterset.queryset.all()
    for name, value in filterset.form.cleaned_data.items():
        if name not in (*skip, "ordering"):
            queryset = filterset.filters[name].filter(queryset, value)
    return queryset


def _counts(filterset, params, shown, *, hiding_background):
    """{facet: [FacetValue]}: each facet in use counted apart, ignoring its own selection.

    Hiding background claims, the direction facet is also counted apart, without that filter, so
    it says how many are hidden too (the page leaves its Background value out)."""
    chosen_in = [name for name in shown if params.getlist(name)]
    apart = [*chosen_in, *(["direction"] if hiding_background else [])]
    counts = facet_counts(filterset.qs, only=[name for name in shown if name not in apart])
    for name in dict.fromkeys(apart):
        skip = [name, "background"] if name == "direction" and hiding_background else [name]
        counts.update(facet_counts(_queryset_without(filterset, *skip), only=[name]))
    return counts


def _facets(request, filterset, params, shown, counts, *, hiding_background):
    facets = []
    for name in shown:
        chosen = params.getlist(name)
        values = counts[name]
        if name == "direction" and hiding_background:
            values = [item for item in values if item.value != v.Direction.BACKGROUND]
        toggle = _toggler(request.path, params, name)
        options = [
            FacetOption(
                value=str(item.value),
                label=item.label or str(item.value),
                count=item.count,
                url=toggle(str(item.value)),
                selected=any(_same(c, str(item.value)) or _same(c, item.label or "") for c in chosen),
                depth=item.depth,
            )
            for item in values
        ]
        # A chosen value the counts do not list (a long tail, or an alias) still shows as chosen.
        for value in chosen:
            if not any(o.selected and (_same(o.value, value) or _same(o.label, value)) for o in options):
                options.append(FacetOption(value, value, 0, toggle(value), True))
        if not any(o.depth for o in options):  # a tree keeps its order, chosen values in place
            options.sort(key=lambda o: not o.selected)
        label = filterset.filters[name].label
        facets.append(Facet(name, label, options, sum(o.selected for o in options)))
    return facets


def _chips(request, filterset, params, facets):
    labels = {f.parameter: {o.value.casefold(): o.label for o in f.options} for f in facets}
    chips = []
    for name in [*FACET_PARAMETERS, *CHIP_ONLY]:
        for value in params.getlist(name):
            shown = CHOICE_LABELS.get(name, {}).get(value) or labels.get(name, {}).get(
                value.casefold(), value
            )
            chips.append(
                Chip(filterset.filters[name].label, shown, _without(request.path, params, name, value))
            )
    if params.get("q"):
        chips.append(Chip("Search", params["q"], _without(request.path, params, "q")))
    return chips


def _error_messages(filterset):
    messages = []
    for name, errors in filterset.form.errors.items():
        label = filterset.filters[name].label if name in filterset.filters else name
        messages += [(label, name, error) for error in errors]
    return messages


def _page_error(raw):
    """A malformed page number is a 400 like any bad parameter (one past the end shows the last page)."""
    if raw in (None, "", "last"):
        return None
    try:
        number = int(raw)
    except ValueError:  # also digit strings too long to be a page
        number = 0
    return None if number >= 1 else f"'{raw[:40]}' is not a page number: give a whole number from 1."


def _api_query(params, fixed):
    merged = params.copy()
    for name, value in fixed.items():
        merged.setlist(name, [value])
    return merged


def _filter_query(params, fixed):
    """The browser's filters: the API's, with the page's default for background statements."""
    merged = _api_query(params, fixed)
    if not merged.get("background"):
        merged.setlist("background", [_background_default(params, fixed)])
    return merged


def _picks_background(params):
    return any(_same(value, v.Direction.BACKGROUND) for value in params.getlist("direction"))


def _background_default(params, fixed):
    """Hidden on the claim list, unless a direction filter asks for them; shown on entity pages
    (``fixed``), whose claim counts, quoted across the site, include them."""
    return "show" if fixed or _picks_background(params) else "hide"


def _background_switch(request, params, fixed, counts, hidden):
    """The switch, counting the background claims the other filters match (0 when a direction
    filter leaves them out anyway) from the direction facet, as it was counted for the page."""
    background = [item.count for item in counts if item.value == v.Direction.BACKGROUND]
    matched = background and (not params.getlist("direction") or _picks_background(params))
    flipped = params.copy()
    wanted = "show" if hidden else "hide"
    flipped.setlist("background", [] if _background_default(params, fixed) == wanted else [wanted])
    return BackgroundSwitch(hidden, background[0] if matched else 0, _link(request.path, flipped))


def _suggestions(request, params, query):
    """Links running the search again with a misspelled word replaced by a near entity name."""
    suggestions = []
    for near in nearest_names(query):
        replacement = f'"{near.name}"' if len(near.name.split()) > 1 else near.name
        corrected = params.copy()
        corrected["q"] = _replace_word(query, near.word, replacement)
        suggestions.append(Suggestion(near.name, near.noun, _link(request.path, corrected)))
    return suggestions


def _replace_word(query, word, replacement):
    """``query`` with its first ``word`` (as parsed: casefolded, maybe quoted) replaced."""
    pattern = re.compile(rf'"?{re.escape(word)}"?', re.IGNORECASE)
    return pattern.sub(lambda _: replacement, query, count=1)


def claim_browser(request, *, fixed=None):
    """Filter, count and page the claims for ``request``; ``fixed`` pins parameters (entity pages)."""
    fixed = fixed or {}
    params = _user_params(request, fixed)
    filterset = filtered_claims(_filter_query(params, fixed))
    browser = Browser(filterset=filterset, errors=[], query=params.get("q", ""))
    browser.ordering = params.get("ordering", "")
    browser.sort_choices = [("", "Relevance" if browser.query else "Identifier"), *SORT_CHOICES[1:]]
    if browser.ordering not in dict(SORT_CHOICES):
        browser.sort_choices.append((browser.ordering, browser.ordering))
    browser.hidden_params = [
        (k, item) for k, items in params.lists() if k not in ("q", "ordering") for item in items
    ]
    browser.clear_url = request.path
    page_error = _page_error(request.GET.get("page"))
    if not filterset.is_valid() or page_error:
        browser.errors = _error_messages(filterset) + ([("Page", "page", page_error)] if page_error else [])
        browser.chips = _chips(request, filterset, params, [])
        return browser
    # The rows' "error in the review" badge: a subquery in the page's query, not a query per row.
    review_errors = Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR, claim_id=OuterRef("pk"))
    rows = filterset.qs.for_display().annotate(records_review_error=Exists(review_errors))
    paginator = CachedCountPaginator(rows, PAGE_SIZE)
    browser.page = paginator.get_page(request.GET.get("page"))
    browser.page.object_list = claims_with_relations(browser.page.object_list)
    hiding = filterset.form.cleaned_data.get("background") == "hide"
    shown = [name for name in FACET_PARAMETERS if name not in fixed]
    counts = _counts(filterset, params, shown, hiding_background=hiding)
    browser.facets = _facets(request, filterset, params, shown, counts, hiding_background=hiding)
    browser.background = _background_switch(request, params, fixed, counts.get("direction", []), hiding)
    if browser.query and not browser.count and not browser.background.count:  # nothing, even hidden
        browser.suggestions = _suggestions(request, params, browser.query)
    browser.chips = _chips(request, filterset, params, browser.facets)
    api_params = _api_query(params, fixed)
    # The API lists background claims unless asked: its links ask when the page hides them
    # (a direction filter that leaves them out needs no asking).
    if hiding and not api_params.get("background") and not api_params.getlist("direction"):
        api_params.setlist("background", ["hide"])
    # The browser ignores parameters it does not know; the API refuses them, so its links drop them.
    for name in [name for name in api_params if name not in filterset.filters]:
        del api_params[name]
    api_claims = reverse("api:claim-list")
    browser.api_url = _link(api_claims, api_params)
    browser.downloads = [
        (label, f"{api_claims}?{urlencode([*api_params.lists(), ('format', fmt)], doseq=True)}")
        for fmt, label in DOWNLOAD_FORMATS
    ]
    return browser
