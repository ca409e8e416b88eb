"""The claim: one finding of the review, quoted, attributed and tagged."""

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import reduce
from typing import Any, cast, overload

from django.conf import settings
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from psycopg import sql as pgsql
from simple_history.models import HistoricalRecords

from claims import vocabulary as v
from claims.models.citation import Citation
from claims.models.entities import Cargo, CellLine, Drug, Entity, Mechanism, Target
from claims.models.source import Section, Source
from claims.search import Term, fts5_match, parse_query, query_terms, websearch_text
from claims.url_templates import reverse_one

PUBLIC_ID_PREFIX = "CLM-"
# Columns of a claim's section and mechanism that no claim row, card or serializer shows (JSON,
# parsed for every row, or long text): for_display() leaves them unread.
SECTION_UNREAD = ["spans"]
MECHANISM_UNREAD = ["aliases", "lookup_terms", "notes", "description"]
_WORD = re.compile(r"[\w\-]+", re.UNICODE)
# What a search word may name, by the claim relation that links it.
SEARCHED_ENTITIES = {
    "drugs": Drug,
    "cargo": Cargo,
    "targets": Target,
    "cell_lines": CellLine,
    "mechanism": Mechanism,
}
# {search term: {relation: [pk]}}: the entities each term of a search names (search_names).
type Named = dict[str, dict[str, list[int]]]
# What a search term scores where it is found (ClaimQuerySet.ranked), best first.
RANK_POINTS = [("statement", 3), ("quote", 2), ("search_document", 1)]


def search_terms(query: str | None) -> list[str]:
    """The words of a search box entry, as matched on every database."""
    return [w.casefold() for w in _WORD.findall(query or "")][:20]


class LoadedRelation:
    """A claim's relation as claims.selectors loaded it (a plain list in the instance's attribute).

    Only the selectors set it; on a claim that did not go through them, reading it raises instead
    of quietly running a query per claim. Templates see the error too: Django re-raises an
    AttributeError from a name the class defines rather than rendering an empty string.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, claim: None, owner: type | None = None) -> "LoadedRelation": ...

    @overload
    def __get__(self, claim: "Claim", owner: type | None = None) -> list[Any]: ...

    def __get__(self, claim: "Claim | None", owner: type | None = None) -> "LoadedRelation | list[Any]":
        # A loaded claim holds the list in its own attribute, which Python reads before this.
        if claim is None:
            return self
        raise AttributeError(
            f"{claim.public_id}.{self.name} was not loaded: read the claim through "
            "claims.selectors.claims_with_relations() or iter_claims_with_relations()"
        )


class ClaimQuerySet(models.QuerySet):
    def get_by_natural_key(self, public_id: str) -> Any:
        return self.get(public_id=public_id)

    def citing_unchecked(self) -> "ClaimQuerySet":
        """Claims citing work that nobody has checked supports them: approving one needs a second look
        (a claim citing nothing has nothing to check)."""
        return self.filter(
            citation_support=v.CitationSupport.NOT_CHECKED,
            pk__in=Claim.citations.through.objects.values("claim_id"),
        )

    def for_display(self) -> "ClaimQuerySet":
        """The claims with what a claim row or card shows besides its relations: section and
        mechanism joined, the columns nothing shows left unread. The relations are a separate,
        named step: claims.selectors.claims_with_relations()."""
        # The search document (statement, quote and every name again) is read only by searches.
        return self.select_related("section", "mechanism").defer(
            "search_document",
            *(f"section__{f}" for f in SECTION_UNREAD),
            *(f"mechanism__{f}" for f in MECHANISM_UNREAD),
        )

    def search(self, query: str | None, *, named: Named | None = None) -> "ClaimQuerySet":
        """Full-text search over statement, quote, exosome source and entity names (claims.search
        says what a query means: AND, OR, "phrases"; stemmed the same on every database).

        A word also matches the claims linked to an entity it names by any spelling the name
        resolver accepts (claims.names: aliases, misprints, miRNA forms such as ``miR155``).
        ``named`` is that resolution ({term text: {kind: [pk]}}, ``search_names``) when the caller
        already has it. SQLite matches the FTS5 index, PostgreSQL the GIN-indexed tsvector
        (migrations 0002 and 0006). A query of stop words only ("the") matches nothing, as
        PostgreSQL's own parser would have it.
        """
        groups = parse_query(query)
        if not groups:
            return self if not (query or "").strip() else self.none()
        if named is None:
            named = search_names(query)
        vendor = connections[self.db].vendor
        matches = []
        for group in groups:
            plain = [term for term in group if not named.get(term.text)]
            condition = _matching(vendor, plain) if plain else Q()
            for term in group:
                if named.get(term.text):
                    condition &= _matching(vendor, [term]) | _linked_to(named[term.text])
            matches.append(condition)
        return self.filter(reduce(operator.or_, matches))

    def ranked(self, query: str | None, *, named: Named | None = None) -> "ClaimQuerySet":
        """Order search results by relevance, then public id, alike on every database: each term
        of the query scores 3 when the statement holds it, 2 when the quote does, 1 when only the
        rest of the search document (exosome source, entity names) does. The score is ``rank``.

        ``named`` is the search's name resolution (``search`` took it): with it, a search of one
        word on PostgreSQL can be read score by score (``SearchRank.tiers``); the caller gives it
        when nothing but the search filters the claims (claims.filters.ClaimFilter.qs)."""
        groups = parse_query(query)
        terms = query_terms(groups)
        if not terms:
            return self.order_by("public_id")
        vendor = connections[self.db].vendor
        score = sum(
            (
                models.Case(
                    *(
                        models.When(_holds(vendor, term, column), then=points)
                        for column, points in RANK_POINTS
                    ),
                    default=0,
                )
                for term in terms
            ),
            start=models.Value(0),
        )
        tiers = _tiers(terms[0], named) if vendor == "postgresql" and len(groups) == len(terms) == 1 else None
        return self.annotate(rank=SearchRank(score, tiers)).order_by("-rank", "public_id")

    def related_to(self, claim: "Claim") -> "ClaimQuerySet":
        """Other claims about the same drug or cargo."""
        # Semi-joins, not joins + DISTINCT: at 100k claims the joined rows of a popular drug had
        # to be de-duplicated before the first 20 could be returned. The claim's own drugs and
        # cargo are read in the same query (a subquery), whether or not its relations are loaded.
        return self.filter(
            Q(pk__in=_claims_with("drugs", _linked_ids(claim, "drugs")))
            | Q(pk__in=_claims_with("cargo", _linked_ids(claim, "cargo")))
        ).exclude(pk=claim.pk)

    def contradicting(self, claim: "Claim") -> "ClaimQuerySet":
        """Findings on a shared drug and cargo whose outcome, read through what was done to the
        cargo, is the opposite of this claim's (see ``polarity``)."""
        return self._compared_with(claim, agree=False)

    def corroborating(self, claim: "Claim") -> "ClaimQuerySet":
        """Findings on a shared drug and cargo that say the same as this claim, however they got
        there: raising miR-567 reverses resistance agrees with lowering it promotes resistance."""
        return self._compared_with(claim, agree=True)

    def _compared_with(self, claim: "Claim", *, agree: bool) -> "ClaimQuerySet":
        sign = polarity(claim)
        if sign is None:
            return self.none()
        shares = _claims_with_all(_linked_ids(claim, "drugs"), _linked_ids(claim, "cargo"))
        return self.filter(shares, with_polarity(sign if agree else -sign)).exclude(pk=claim.pk)


class SearchRank(models.ExpressionWrapper):
    """ranked()'s score. For a one-word search on PostgreSQL it also holds ``tiers``: for each
    score, best first, the condition that gives a matched claim exactly that score (the same
    claims as the score's CASE, written so that the GIN indexes on each vector answer it), so
    a page can be read score by score from the indexes (claims.ranked_pages) instead of scoring
    every match; None otherwise."""

    def __init__(self, score: Any, tiers: list[tuple[int, Q]] | None = None) -> None:
        super().__init__(score, output_field=models.IntegerField())
        self.tiers = tiers


def _tiers(term: Term, named: Named | None) -> list[tuple[int, Q]] | None:
    """(score, condition) for a search of the one word ``term``, best first (see SearchRank).

    A claim the search matched scores 3 when its statement's vector holds the word, else 2 when
    its quote's does, else 1 (only the search document's). The search matched the search
    document's vector, so the tiers need not test it again (testing it twice, PostgreSQL would
    count its share twice and misjudge the plan).

    Not for a phrase, nor for a word naming an entity: PostgreSQL estimates a phrase's matches
    from its words', and the claims linked to an entity (``search``'s OR of a subquery) at half
    the table, often a hundred times too many, and would walk the whole public-id index for a
    score few claims have (100 ms at 100k claims)."""
    if named is None or len(term.parts) != 1 or named.get(term.text):
        return None
    text = websearch_text([term])
    tiers, better = [], Q()
    for column, points in RANK_POINTS:
        holds = Q(_RowHolds(column, text, alone=True)) if column != "search_document" else Q()
        tiers.append((points, holds & better))
        if column != "search_document":
            better &= ~holds
    return tiers


def polarity(claim: "Claim") -> int | None:
    """+1 when more of the cargo goes with more resistance, -1 when with less, None when the
    finding says neither (no cargo intervention, or an outcome other than on resistance).

    The idea is INDRA's: two statements about the same agents contradict when their effects have
    opposite signs once every inversion on the way is counted. Here the only inversion is the
    intervention: lowering a cargo that then promotes resistance says what raising it and seeing
    resistance reversed says.
    """
    # INTERVENTION_SIGN is keyed by the CargoIntervention members, which equal their str values.
    intervention = cast(dict[str, int], v.INTERVENTION_SIGN).get(claim.cargo_intervention)
    outcome = v.DIRECTION_SIGN.get(claim.direction)
    return None if intervention is None or outcome is None else intervention * outcome


def with_polarity(sign: int) -> Q:
    """The claims whose intervention × outcome is ``sign`` (a Q)."""
    condition = Q(pk__in=[])
    for intervention, i in v.INTERVENTION_SIGN.items():
        for direction, d in v.DIRECTION_SIGN.items():
            if i * d == sign:
                condition |= Q(cargo_intervention=intervention, direction=direction)
    return condition


def search_names(query: str | None) -> Named:
    """{term text: {relation: [pk]}}: the entities each term of a search names (one query)."""
    from claims.names import resolve_across

    return resolve_across(SEARCHED_ENTITIES, [term.text for term in query_terms(parse_query(query))])


def tsquery(text: str) -> str:
    """``websearch_to_tsquery`` of ``text`` on PostgreSQL, the text written in as a literal
    (quoted by psycopg; ``%`` doubled for the driver's placeholders), not passed as a parameter.

    The planner then folds it to a constant and estimates the match from it. As a parameter, a
    prepared statement's generic plan (settings: DATABASE_PREPARE_THRESHOLD) parsed the query
    again for every row and every rank branch: a repeated search took twice as long."""
    literal = pgsql.Literal(text).as_string(None).replace("%", "%%")
    return f"websearch_to_tsquery('english', {literal})"


def _matching(vendor: str, terms: Sequence[Term]) -> Q:
    """The claims whose search document holds every term, as a filter.

    On PostgreSQL a test of the claim row's own vector (``_RowHolds``): as ``claim.id IN
    (SELECT id … WHERE search_vector @@ q)`` the planner looked each match up again by id, 2.4
    times the time of the row test for a word in 2,274 of 10,000 claims. SQLite matches the FTS5
    table, whose rowids are the claims' ids."""
    if vendor == "postgresql":
        return Q(_RowHolds("search_document", websearch_text(terms)))
    return Q(pk__in=_text_match(vendor, terms))


def _text_match(vendor: str, terms: Sequence[Term], column: str = "search_document") -> RawSQL:
    """The ids of the claims whose ``column`` holds every term (a subquery).

    Self-contained: this queryset may itself become a subquery (facet counts), where Django
    renames claims_claim, so the raw SQL must not refer to the outer table.
    """
    if vendor == "postgresql":
        query = tsquery(websearch_text(terms))
        sql = f"SELECT id FROM claims_claim WHERE search_vector @@ {query}"
        if column != "search_document":
            # statement_vector or quote_vector, read only for the rows the GIN index matched
            sql += f" AND {column}_vector @@ {query}"
        return RawSQL(sql, [])
    return RawSQL(
        "SELECT rowid FROM claims_claim_fts WHERE claims_claim_fts MATCH %s", [fts5_match(terms, column)]
    )


def _holds(vendor: str, term: Term, column: str) -> Q | models.Expression:
    """Whether a claim's ``column`` holds ``term``: ranked's condition for each score.

    On PostgreSQL a test of the claim row's own vectors: as ``claim.id IN (matches)``, the
    planner computed the score of every claim (hashed subplans over a sequential scan) before
    sorting; on the row it is computed only for the claims the search matched."""
    if vendor == "postgresql":
        return _RowHolds(column, websearch_text([term]))
    return Q(pk__in=_text_match(vendor, [term], column))


class _RowHolds(models.Expression):
    """``search_vector @@ q`` (and ``<column>_vector @@ q`` for statement or quote) on the claim
    row of the query it is part of, whatever alias Django gives claims_claim there (a subquery
    renames it): the same claims as _text_match's subquery for the column, row by row. ``alone``:
    the statement's or quote's vector only, for a query that has already tested search_vector."""

    output_field = models.BooleanField()

    def __init__(self, column: str, text: str, alias: str | None = None, *, alone: bool = False) -> None:
        super().__init__()
        if column not in ("statement", "quote", "search_document"):
            raise ValueError(f"no search vector for column {column!r}")
        self.column, self.text, self.alias, self.alone = column, text, alias, alone

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> "_RowHolds":
        resolved = self.copy()
        resolved.alias = query.get_initial_alias() if query is not None else self.alias
        return resolved

    def relabeled_clone(self, change_map: Mapping[str, str]) -> "_RowHolds":
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias) if self.alias else None
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        if self.alias is None:
            raise ValueError("_RowHolds used outside a query on claims")
        quote = compiler.quote_name
        query = tsquery(self.text)
        sql = f"{quote(self.alias)}.search_vector @@ {query}"
        if self.column == "search_document":
            return sql, ()
        column = f"{quote(self.alias)}.{self.column}_vector @@ {query}"
        return (column, ()) if self.alone else (f"({sql} AND {column})", ())


def _linked_to(named: dict[str, list[int]]) -> Q:
    """The claims linked to any of the entities in ``named`` ({relation: [pk]}), as a Q."""
    condition = Q(pk__in=[])
    for relation, pks in named.items():
        if relation == "mechanism":
            condition |= Q(mechanism_id__in=pks)
        elif relation == "cell_lines":
            condition |= Q(pk__in=ClaimCellLine.objects.filter(cell_line_id__in=pks).values("claim_id"))
        else:
            condition |= Q(pk__in=_claims_with(relation, pks))
    return condition


def _claims_with_all(drugs: QuerySet, cargo: QuerySet) -> Q:
    return Q(pk__in=_claims_with("drugs", drugs)) & Q(pk__in=_claims_with("cargo", cargo))


def _linked_ids(claim: "Claim", relation: str) -> QuerySet:
    """The ids of the entities ``claim`` is linked to through ``relation`` (a subquery)."""
    field = cast(models.ManyToManyField, Claim._meta.get_field(relation))
    through: Any = field.remote_field.through  # the auto-created link model: its manager is objects
    linked = through.objects.filter(**{field.m2m_field_name(): claim.pk})
    return linked.values(field.m2m_reverse_field_name())


def _claims_with(relation: str, ids: Iterable[int] | QuerySet) -> QuerySet:
    """The ids of claims linked to any of ``ids`` (a list or subquery) through the ``relation``
    many-to-many table."""
    field = cast(models.ManyToManyField, Claim._meta.get_field(relation))
    through: Any = field.remote_field.through  # the auto-created link model: its manager is objects
    linked = through.objects.filter(**{f"{field.m2m_reverse_field_name()}__in": ids})
    return linked.values(field.m2m_field_name())


class Claim(models.Model):
    public_id = models.CharField(max_length=20, unique=True, editable=False)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="claims")
    statement = models.TextField(help_text="What is asserted, in the curators' own words.")
    quote = models.TextField(help_text="The verbatim sentence(s) of the review that state it.")
    quote_start = models.PositiveIntegerField(help_text="Character offset of the quote in the source text")
    quote_end = models.PositiveIntegerField()
    quote_prefix = models.CharField(max_length=64, blank=True)
    quote_suffix = models.CharField(max_length=64, blank=True)
    citations = models.ManyToManyField(Citation, related_name="claims", blank=True)
    drugs = models.ManyToManyField(Drug, related_name="claims", blank=True)
    cargo = models.ManyToManyField(Cargo, related_name="claims", blank=True)
    cargo_intervention = models.CharField(
        max_length=20,
        choices=v.CargoIntervention.choices,
        default=v.CargoIntervention.NOT_APPLICABLE,
        help_text="What was done to the cargo (or seen of it): decides which findings agree.",
    )
    targets = models.ManyToManyField(
        Target, related_name="claims", blank=True, help_text="What the cargo acts on, or what mediates it"
    )
    restates = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="restated_by",
        blank=True,
        help_text="Claims whose finding this one repeats (e.g. a figure caption)",
    )
    cell_lines = models.ManyToManyField(CellLine, through="ClaimCellLine", related_name="claims", blank=True)
    exosome_source = models.CharField(max_length=300, blank=True)
    mechanism = models.ForeignKey(
        Mechanism, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    therapy_class = models.CharField(max_length=20, choices=v.TherapyClass.choices)
    direction = models.CharField(max_length=20, choices=v.Direction.choices)
    model = models.CharField(
        "model system", max_length=20, choices=v.ModelSystem.choices, default=v.ModelSystem.NOT_STATED
    )
    status = models.CharField(max_length=20, choices=v.CurationStatus.choices, default=v.CurationStatus.DRAFT)
    citation_support = models.CharField(
        max_length=20, choices=v.CitationSupport.choices, default=v.CitationSupport.NOT_CHECKED
    )
    rejection_reason = models.TextField(blank=True)
    notes = models.TextField("curator notes", blank=True)
    search_document = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped on every save; the ETag"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(
        m2m_fields=[citations, drugs, cargo, targets], excluded_fields=["search_document"]
    )
    objects = ClaimQuerySet.as_manager()

    # Read by django-simple-history when a claim is saved (who changed it, why), and set by the
    # services that save one; skip_history_when_saving leaves a save out of the history, as
    # save_without_historical_record (added by django-simple-history) does.
    _history_user: Any
    _change_reason: str | None
    skip_history_when_saving: bool
    save_without_historical_record: Callable[..., None]

    # Set by claims.selectors (one query for a whole page of claims); see its docstring.
    loaded_citations = LoadedRelation()
    loaded_drugs = LoadedRelation()
    loaded_cargo = LoadedRelation()
    loaded_targets = LoadedRelation()
    loaded_cell_line_links = LoadedRelation()
    loaded_citation_checks = LoadedRelation()

    class Meta:
        ordering = ["public_id"]
        permissions = [
            ("review_claim", "Can approve or reject claims and resolve flags"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(public_id__startswith=PUBLIC_ID_PREFIX), name="claim_public_id_format"
            ),
            models.CheckConstraint(condition=~Q(statement=""), name="claim_statement_not_empty"),
            models.CheckConstraint(condition=~Q(quote=""), name="claim_quote_not_empty"),
            models.CheckConstraint(
                condition=Q(quote_end__gt=models.F("quote_start")), name="claim_quote_span_positive"
            ),
            models.CheckConstraint(
                condition=Q(quote_end=models.F("quote_start") + Length("quote")),
                name="claim_quote_span_matches_quote",
            ),
            models.CheckConstraint(
                condition=Q(therapy_class__in=v.TherapyClass.values), name="claim_therapy_class_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=v.Direction.values), name="claim_direction_valid"
            ),
            models.CheckConstraint(condition=Q(model__in=v.ModelSystem.values), name="claim_model_valid"),
            models.CheckConstraint(
                condition=Q(cargo_intervention__in=v.CargoIntervention.values),
                name="claim_cargo_intervention_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=v.CurationStatus.values), name="claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(citation_support__in=v.CitationSupport.values),
                name="claim_citation_support_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=v.CurationStatus.REJECTED) | ~Q(rejection_reason=""),
                name="claim_rejection_needs_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["direction"], name="claim_direction_idx"),
            models.Index(fields=["therapy_class"], name="claim_therapy_class_idx"),
            models.Index(fields=["model"], name="claim_model_idx"),
            models.Index(fields=["status"], name="claim_status_idx"),
            models.Index(fields=["updated"], name="claim_updated_idx"),
            # Sorting matched claims by public id (a search's ranked page, a rare drug's page)
            # reads each claim's public id by its id: from this index instead of the wide row
            # (statement, quote, search document), half the time of a search's page on SQLite.
            models.Index(fields=["id", "public_id"], name="claim_id_public_id_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id

    def natural_key(self) -> tuple[str]:
        return (self.public_id,)

    def get_absolute_url(self) -> str:
        return reverse_one("claims:claim-detail", self.public_id)

    @property
    def etag(self) -> str:
        return f'"{self.public_id}-v{self.version}"'

    def build_search_document(self) -> str:
        """Statement, quote and entity names, casefolded; needs the relations saved first."""
        return search_document_for(
            self,
            drugs=self.drugs.all(),
            cargo=self.cargo.all(),
            cell_lines=[link.cell_line for link in self.cell_line_links.all()],
            targets=self.targets.all(),
        )


def search_document_for(
    claim: "Claim",
    *,
    drugs: Iterable[Drug],
    cargo: Iterable[Cargo],
    cell_lines: Iterable[CellLine],
    targets: Iterable[Target] = (),
) -> str:
    """What full-text search matches: the claim's texts and every name of its entities."""
    parts = [claim.statement, claim.quote, claim.exosome_source]
    # Sorted, so the document does not depend on the order the relations were given in.
    entities = {*drugs, *cargo, *cell_lines, *targets}
    for entity in sorted(entities, key=lambda e: (type(e).__name__, e.name)):
        parts += entity_search_terms(entity)
    if claim.mechanism_id and claim.mechanism:
        parts += entity_search_terms(claim.mechanism)
    return " ".join(p for p in parts if p).casefold()


def entity_search_terms(entity: Entity) -> list[str]:
    """What the search document of a claim linked to ``entity`` takes from it: a mechanism's name,
    every name of the other kinds. A change to these re-indexes its claims (services.entity_writes)."""
    if isinstance(entity, Mechanism):
        return [entity.name]
    return [entity.name, *entity.aliases, *entity.misprints]


class ClaimCellLine(models.Model):
    """A cell line in a claim, with its role (exosome donor, recipient or studied)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="cell_line_links")
    cell_line = models.ForeignKey(CellLine, on_delete=models.PROTECT, related_name="claim_links")
    role = models.CharField(max_length=10, choices=v.CellLineRole.choices)

    history = HistoricalRecords()
    # Read by django-simple-history when a link is saved (who changed it).
    _history_user: Any

    class Meta:
        ordering = ["claim", "role", "cell_line__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "cell_line", "role"], name="claim_cell_line_unique_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=v.CellLineRole.values), name="claim_cell_line_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cell_line} ({self.get_role_display()})"
