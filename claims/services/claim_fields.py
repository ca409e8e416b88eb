"""The fields a curator writes on a claim, defined once.

``claim_create`` takes them as keyword arguments (with the defaults below), ``claim_update``
changes any of them, and claims.services.claim_writes validates them by what is said here
(text length, choices). The site form, the admin form and the API derive their lists from
``CLAIM_FIELDS``, and tests check that each door offers every field: adding a field means
adding it here, plus its input or serializer field where it is shown.
"""

from dataclasses import dataclass

from django.db.models import TextChoices

from claims import vocabulary as v

MAX_CLAIM_TEXT = 20_000
# Kept with the history record as its change reason (simple-history's column holds 100 characters).
CHANGE_REASON_MAX = 100

# Kinds of field: a column is stored on the claim as given; a relation is a set of links the
# write replaces; the occurrence only says where the quote is (which repeat in its section) and
# is not stored; the quote is stored with the offsets it is anchored at.
COLUMN, RELATION, QUOTE, LOCATOR = "column", "relation", "quote", "locator"


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()  # the default of a field a new claim must be given


@dataclass(frozen=True)
class ClaimField:
    name: str
    kind: str = COLUMN
    default: object = REQUIRED
    # Reviewed fields are what an editor approves (see REVIEWED_FIELDS); the others are annotations,
    # or, for the occurrence, not content at all.
    reviewed: bool = True
    # Text fields: at most this many characters, and no control characters.
    max_length: int | None = None
    # Choice fields: the vocabulary their value must come from.
    choices: type[TextChoices] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def choice_values(self) -> list[str]:
        """The values a choice field's value must be one of (none for the other fields)."""
        return self.choices.values if self.choices is not None else []


CLAIM_FIELDS = (
    ClaimField("section"),
    ClaimField("quote", QUOTE, max_length=MAX_CLAIM_TEXT),
    ClaimField("occurrence", LOCATOR, default=None, reviewed=False),
    ClaimField("statement", max_length=MAX_CLAIM_TEXT),
    ClaimField("therapy_class", choices=v.TherapyClass),
    ClaimField("direction", choices=v.Direction),
    ClaimField("model", default=v.ModelSystem.NOT_STATED, choices=v.ModelSystem),
    ClaimField("exosome_source", default="", max_length=300),
    ClaimField("mechanism", default=None),
    ClaimField("cargo_intervention", default=v.CargoIntervention.NOT_APPLICABLE, choices=v.CargoIntervention),
    ClaimField("citation_support", default=v.CitationSupport.NOT_CHECKED, choices=v.CitationSupport),
    ClaimField("notes", default="", reviewed=False, max_length=MAX_CLAIM_TEXT),
    ClaimField("citations", RELATION, default=()),
    ClaimField("drugs", RELATION, default=()),
    ClaimField("cargo", RELATION, default=()),
    ClaimField("targets", RELATION, default=()),
    # (cell line, role) pairs.
    ClaimField("cell_lines", RELATION, default=()),
)
FIELDS_BY_NAME = {field.name: field for field in CLAIM_FIELDS}
FIELD_NAMES = tuple(FIELDS_BY_NAME)
COLUMN_FIELDS = tuple(f.name for f in CLAIM_FIELDS if f.kind == COLUMN)
RELATION_FIELDS = tuple(f.name for f in CLAIM_FIELDS if f.kind == RELATION)
TEXT_FIELDS = tuple(f for f in CLAIM_FIELDS if f.max_length is not None)
CHOICE_FIELDS = tuple(f for f in CLAIM_FIELDS if f.choices is not None)
# The review rule's one definition. Reviewed fields are what an editor approves: what the claim
# says, where the review says it, what it links to, and the verdict on whether the cited paper
# supports it (published, exported and filtered on, so a change to it needs a second look too).
# Changing any of them on an approved or rejected claim sends it back to review, and whoever
# changed them may not approve it. Annotations are the curators' working notes: never published
# as part of the finding, free to change without a new review.
REVIEWED_FIELDS = frozenset(f.name for f in CLAIM_FIELDS if f.reviewed)
ANNOTATION_FIELDS = frozenset(f.name for f in CLAIM_FIELDS if not f.reviewed and f.kind != LOCATOR)
