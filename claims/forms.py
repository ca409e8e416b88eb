"""Forms for curating claims on the site. They only parse and name things: every rule about
what a valid claim is lives in claims.services (claim_check / claim_create / claim_update), and
the form shows that service's errors next to the fields they name."""

import re
import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q

from claims import vocabulary as v
from claims.models import Cargo, CellLine, Citation, Drug, Mechanism, Section, Source, Target
from claims.models.entities import LOOKUP_SEPARATOR
from claims.names import resolve_entities
from claims.services.claim_fields import COLUMN_FIELDS, FIELD_NAMES
from claims.services.claim_writes import quote_occurrence

SEPARATOR = re.compile(r"[;\n]")
MAX_TERMS = 50
MAX_TERM_LENGTH = 200
SUGGESTIONS = 20
DATALIST_LIMIT = 300  # options rendered into the page for browsers without JavaScript


@dataclass(frozen=True)
class Suggestion:
    value: str  # what goes into the input (a name, alias or label the form resolves)
    label: str  # what the list shows


class EntityLookup:
    """Find drugs, cargo, targets or cell lines by name, slug, alias or misprint (claims.names)."""

    def __init__(self, model, noun):
        self.model, self.noun = model, noun

    def display(self, entity):
        return entity.name

    def resolve(self, terms):
        """{term: [entities it names]} for every term."""
        return resolve_entities(self.model, terms)

    def suggest(self, query, limit=SUGGESTIONS):
        folded = query.strip().casefold()
        if not folded or LOOKUP_SEPARATOR in folded:
            return []
        # A name or alias that starts with what was typed: a browser datalist only shows
        # options that start with the input, so suggest the very term that matched.
        rows = self.model.objects.filter(lookup_terms__contains=LOOKUP_SEPARATOR + folded).order_by("name")
        suggestions = []
        for entity in rows[:limit]:
            if entity.name.casefold().startswith(folded):
                value = entity.name
            else:
                value = next(
                    (a for a in [entity.slug, *entity.aliases] if a.casefold().startswith(folded)),
                    entity.name,
                )
            label = entity.name if value == entity.name else f"{entity.name} ({value})"
            suggestions.append(Suggestion(value, label))
        return suggestions

    def options(self, limit=DATALIST_LIMIT):
        return [
            Suggestion(name, name)
            for name in self.model.objects.order_by("name").values_list("name", flat=True)[:limit]
        ]


class CitationLookup:
    """Find citations by key (wang2019a) or in-text label (Wang et al., 2019a), case-insensitively."""

    model, noun = Citation, "citation"

    def display(self, citation):
        return citation.label

    def resolve(self, terms):
        query = Q(key__in=[t.casefold() for t in terms])
        for term in terms:
            query |= Q(label__iexact=term)
        rows = list(Citation.objects.filter(query))
        return {
            term: [c for c in rows if term.casefold() in (c.key.casefold(), c.label.casefold())]
            for term in terms
        }

    def suggest(self, query, limit=SUGGESTIONS):
        query = query.strip()
        if not query:
            return []
        rows = Citation.objects.filter(Q(label__istartswith=query) | Q(key__istartswith=query)).order_by(
            "first_author", "year", "year_suffix"
        )
        return [
            Suggestion(c.label if c.label.casefold().startswith(query.casefold()) else c.key, c.label)
            for c in rows[:limit]
        ]

    def options(self, limit=DATALIST_LIMIT):
        rows = Citation.objects.order_by("first_author", "year", "year_suffix").values_list(
            "label", flat=True
        )
        return [Suggestion(label, label) for label in rows[:limit]]


LOOKUPS = {
    "citation": CitationLookup(),
    "drug": EntityLookup(Drug, "drug"),
    "cargo": EntityLookup(Cargo, "cargo"),
    "target": EntityLookup(Target, "target"),
    "cell-line": EntityLookup(CellLine, "cell line"),
}


class NamesField(forms.CharField):
    """Several entities typed as names separated by ';' (or one per line), resolved on clean."""

    def __init__(self, *, kind, **kwargs):
        self.lookup = LOOKUPS[kind]
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_TERMS * MAX_TERM_LENGTH)
        attrs = {
            "list": f"{kind}-options",
            "data-autocomplete": kind,
            "autocomplete": "off",
            "spellcheck": "false",
        }
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        terms = list(dict.fromkeys(t.strip() for t in SEPARATOR.split(text or "") if t.strip()))
        if len(terms) > MAX_TERMS:
            raise ValidationError(f"At most {MAX_TERMS} may be given.")
        too_long = [t for t in terms if len(t) > MAX_TERM_LENGTH]
        if too_long:
            raise ValidationError(f"'{too_long[0][:40]}…' is too long to be a {self.lookup.noun} name.")
        if not terms:
            return []
        found = self.lookup.resolve(terms)
        errors = []
        for term in terms:
            if not found[term]:
                errors.append(f"No {self.lookup.noun} is named '{term}'.")
            elif len(found[term]) > 1:
                names = ", ".join(self.lookup.display(e) for e in found[term])
                errors.append(
                    f"'{term}' names more than one {self.lookup.noun} ({names}): type the full name."
                )
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(entity for term in terms for entity in found[term]))


def _names(lookup, entities):
    return "; ".join(lookup.display(e) for e in entities)


ROLE_FIELDS = {role: f"{role}_cell_lines" for role in v.CellLineRole.values}
# Where a service error about a relation or the quote anchor is shown on the form.
SERVICE_FIELD = {"cell_lines": "studied_cell_lines", "occurrence": "occurrence"}


class ClaimForm(forms.Form):
    section = forms.ModelChoiceField(
        queryset=Section.objects.order_by("order"),
        to_field_name="number",
        empty_label="Choose a section",
        help_text="The section of the review the quote is from.",
    )
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The exact sentence(s) of the review, as printed (errors and all); its position in "
        "the review is found for you.",
    )
    occurrence = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        help_text="Only if the quote occurs more than once in the section: which one (1 = the first).",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What the quote asserts, in your own words."
    )
    citations = NamesField(kind="citation", help_text="In-text labels or keys, separated by ';'.")
    drugs = NamesField(kind="drug", help_text="Names or aliases, separated by ';'.")
    cargo = NamesField(kind="cargo", label="Exosomal cargo", help_text="Names or aliases, separated by ';'.")
    cargo_intervention = forms.TypedChoiceField(
        choices=v.CargoIntervention.choices,
        initial=v.CargoIntervention.NOT_APPLICABLE,
        required=False,
        empty_value=v.CargoIntervention.NOT_APPLICABLE,
        help_text="What was done to the cargo, or seen of it: decides which findings agree or contradict.",
    )
    targets = NamesField(
        kind="target", label="Acts on", help_text="What the cargo acts on (targets): names, separated by ';'."
    )
    donor_cell_lines = NamesField(kind="cell-line", label="Exosome donor cell lines")
    recipient_cell_lines = NamesField(kind="cell-line", label="Exosome recipient cell lines")
    studied_cell_lines = NamesField(kind="cell-line", label="Other cell lines studied")
    exosome_source = forms.CharField(required=False)
    mechanism = forms.ModelChoiceField(
        queryset=Mechanism.objects.order_by("name"), to_field_name="slug", required=False, empty_label="None"
    )
    therapy_class = forms.ChoiceField(choices=v.TherapyClass.choices)
    direction = forms.ChoiceField(choices=v.Direction.choices)
    model = forms.ChoiceField(
        choices=v.ModelSystem.choices, label="Model system", initial=v.ModelSystem.NOT_STATED
    )
    citation_support = forms.ChoiceField(
        choices=v.CitationSupport.choices,
        initial=v.CitationSupport.NOT_CHECKED,
        help_text="Whether the cited work says what the review claims, as you checked it.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Curator notes")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A new claim's one-time token: a second submit of the same form shows the claim the first made.
    form_token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput, required=False)
    not_duplicate = forms.BooleanField(
        required=False, label="I checked the claims listed above: this one is not a duplicate."
    )

    def __init__(self, *args, claim=None, **kwargs):
        self.claim = claim
        if claim is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {**self.initial_for(claim), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if claim is None:
            self.fields["form_token"].initial = uuid.uuid4().hex
        # Quotes come from the claim's own source; new claims quote the review (the first source).
        source = claim.source_id if claim is not None else Source.objects.the_review_pk()
        self.fields["section"].queryset = Section.objects.filter(source=source).order_by("order")

    def clean_quote(self):
        # Browsers submit line breaks as CRLF; the review text has plain LF.
        return self.cleaned_data["quote"].replace("\r\n", "\n")

    @staticmethod
    def initial_for(claim):
        links = list(claim.cell_line_links.select_related("cell_line").order_by("cell_line__name"))
        initial = {name: getattr(claim, name) for name in COLUMN_FIELDS}
        initial.update(
            section=claim.section.number,
            mechanism=claim.mechanism.slug if claim.mechanism else "",
            quote=claim.quote,
            citations=_names(LOOKUPS["citation"], claim.citations.order_by("first_author", "year")),
            drugs=_names(LOOKUPS["drug"], claim.drugs.order_by("name")),
            cargo=_names(LOOKUPS["cargo"], claim.cargo.order_by("name")),
            targets=_names(LOOKUPS["target"], claim.targets.order_by("name")),
            version=claim.version,
        )
        for role, name in ROLE_FIELDS.items():
            initial[name] = "; ".join(link.cell_line.name for link in links if link.role == role)
        return initial

    @classmethod
    def from_selection(cls, query):
        """A new claim's form prefilled from text selected in /review/: ``section`` (its number),
        ``quote`` and ``start`` (the quote's first character in the review's text), as GET
        parameters. The quote must be the review's text at ``start``, inside one paragraph of the
        section; the occurrence (which repeat of the quote in the section) follows from ``start``.
        Whatever does not fit is shown as an error on the (unbound) form, and left for the curator
        to fix; nothing else is filled in."""
        initial, errors = selection_initial(query)
        form = cls(initial=initial)
        for name, message in errors.items():
            # An unbound form has no validation of its own: these errors describe the link followed.
            form.errors[name] = form.error_class([message])
        return form

    def service_fields(self):
        """The cleaned data as claim_create / claim_update / claim_check arguments: every field of
        a claim (claim_fields.CLAIM_FIELDS), the cell lines gathered from their role fields."""
        data = self.cleaned_data
        fields = {name: data[name] for name in FIELD_NAMES if name != "cell_lines"}
        fields["cell_lines"] = [(line, role) for role, name in ROLE_FIELDS.items() for line in data[name]]
        return fields

    def add_service_errors(self, error):
        """Show a service ValidationError next to the fields it names."""
        for name, messages in error.message_dict.items():
            target = SERVICE_FIELD.get(name, name)
            self.add_error(target if target in self.fields else None, messages)

    @property
    def general_errors(self):
        return self.errors.get(NON_FIELD_ERRORS, [])


def selection_initial(query):
    """(initial data, {field: error}) for a new claim from a selection (see ClaimForm.from_selection)."""
    number, quote, start = (query.get(name, "") for name in ("section", "quote", "start"))
    initial, errors = {}, {}
    if not (number or quote or start):
        return initial, errors
    section = (
        Section.objects.filter(source=Source.objects.the_review_pk(), number=number)
        .select_related("source")
        .first()
    )
    if section is None:
        errors["section"] = f"The review has no section '{number[:20]}'." if number else "No section given."
    else:
        initial["section"] = section.number
    quote = quote.replace("\r\n", "\n").replace("\x00", "")
    if quote:
        initial["quote"] = quote
    if not quote.strip():
        errors["quote"] = "No quote given: select the text of the review to quote."
    elif not re.fullmatch(r"[0-9]{1,9}", start):
        errors["quote"] = (
            f"'start' must be the character where the quote begins in the review (got '{start[:20]}')."
        )
    elif section is not None:
        begin = int(start)
        end = begin + len(quote)
        found = section.source.text[begin:end]
        if found != quote:
            errors["quote"] = f"The review's text at characters {begin}–{end} is not this quote" + (
                f": it reads '{found[:80]}'." if found else " (the review is shorter)."
            )
        elif not any(s <= begin and end <= e for s, e in section.spans):
            errors["quote"] = (
                f"Characters {begin}–{end} are not inside one paragraph of section {section.label}."
            )
        else:
            initial["occurrence"] = quote_occurrence(section=section, quote=quote, start=begin)
    return initial, errors


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=v.CurationStatus.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text="Required when rejecting: say what is wrong.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class FlagForm(forms.Form):
    kind = forms.ChoiceField(choices=v.FlagKind.choices, label="What is wrong")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Details")


class FlagResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="How was it resolved?")


class RestoreForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
