"""A page of the claim list as JSON built by the database: ClaimSerializer's output, claim by claim.

For a page of 50 claims the Python path (claims.selectors reads the claims and ~400 related
rows into model instances, ClaimSerializer turns them into dicts, DRF's renderer into text) was
three quarters of ``/api/claims/`` (issue 16's profiles). Here one statement per page gives each
claim's JSON text (SQLite's ``json_object``/``group_concat``, PostgreSQL's ``row_to_json``/
``json_agg``), its relations in the order claims.selectors reads them; the response splices the
texts into its envelope (``JSONPageRenderer``). In process at 10k claims, ``/api/claims/?drug=``
went from 9.2 to 5.2 ms on SQLite and from 10.0 to 7.4 ms on PostgreSQL. The serializer stays the definition:
tests/test_page_json.py holds the two equal on every claim, on both databases.

What SQL cannot do exactly is left to Python, per claim:

- a link whose lookup (public id, slug, citation key) is not made only of letters, digits, '-'
  and '_' needs ``reverse()``'s quoting (claims.url_templates): such a claim's JSON comes back
  NULL and the claim goes through the serializer;
- the search snippet (stemmed highlighting) is added to each text in Python;
- a current time zone other than UTC: the whole page goes through the serializer
  (``page_json_supported``).
"""

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from claims.api.links import Links
from claims.data_version import data_version_to_read, keep_data_version
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    CitationCheck,
    Claim,
    ClaimCellLine,
    Drug,
    Mechanism,
    Section,
    Target,
)
from claims.selectors import any_of, any_values
from claims.url_templates import PLACEHOLDER

# The link templates a claim's JSON fills, in the order the statement takes them as parameters.
LINKS = {
    "claim": "api:claim-detail",
    "page": "claims:claim-detail",
    "flags": "api:claim-flags",
    "citation": "api:citation-detail",
    "drug": "api:drug-detail",
    "cargo": "api:cargo-detail",
    "target": "api:target-detail",
    "cell_line": "api:cell-line-detail",
    "mechanism": "api:mechanism-detail",
}


def page_json_supported() -> bool:
    """Whether the database can write this request's claims (datetimes are written in UTC)."""
    return timezone.get_current_timezone_name() == "UTC"


def claims_json(db: str, ids: Sequence[int], links: Links) -> dict[int, tuple[str | None, str, str]]:
    """{claim id: (its JSON text without ``search_snippet``, or None where Python must write it;
    its statement; its quote)} for the claims ``ids``."""
    if not ids:
        return {}
    rows = _written(db, "id", ids, links)
    return {pk: (text, statement, quote) for pk, text, statement, quote, _, _ in rows}


@dataclass(frozen=True)
class WrittenClaim:
    """One claim as claim_json reads it: ``text`` its JSON without ``search_snippet`` (None where
    Python must write it), with what its ETag and its snippet are made of."""

    pk: int
    public_id: str
    version: int
    text: str | None
    statement: str
    quote: str


def claim_json(db: str, public_id: str, links: Links) -> WrittenClaim | None:
    """The claim with this public id written as JSON by the same statement as a page's claims
    (the claim detail: its claim and relations in one query, with the data version its ETag
    needs when the request has not read it yet), or None when there is none."""
    version_sql = data_version_to_read(db)
    rows = _written(db, "public_id", [public_id], links, version_sql)
    if not rows:
        return None
    pk, text, statement, quote, found, version, *data_version = rows[0]
    if version_sql is not None:
        keep_data_version(db, data_version)
    return WrittenClaim(pk, found, version, text, statement, quote)


def _written(
    db: str, by: str, keys: Sequence[Any], links: Links, version_sql: str | None = None
) -> list[tuple[Any, ...]]:
    """The statement's rows for the claims whose ``by`` column (id or public_id) is one of
    ``keys``; each row with the data version's values after its own when ``version_sql`` is given."""
    connection = connections[db]
    vendor = connection.vendor
    templates = [links.url(view_name, PLACEHOLDER) for view_name in LINKS.values()]
    sql, uses = _statement(vendor, by, len(keys), version_sql)
    values = any_values(vendor, keys)
    params = [item for use in uses for item in (values if use is None else [templates[use]])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Relation:
    """A claim's relation as a JSON array: ``item`` (pairs of key and SQL) for each row of
    ``source`` (link table ``l`` joined to ``o``) in ``order``, as claims.selectors orders it;
    ``lookups`` are the columns its links are filled with."""

    item: list[tuple[str, str]]
    source: str
    order: str
    lookups: list[str]


def _relations() -> dict[str, Relation]:
    def source(through: type[Model], model: type[Model], key: str) -> str:
        return f"{_table(through)} l JOIN {_table(model)} o ON o.id = l.{key}"

    def entity(through: type[Model], model: type[Model], key: str, link: str, kind: str | None) -> Relation:
        pairs = [("slug", "o.slug"), ("name", "o.name")]
        pairs += [("type", f"o.{kind}")] if kind else []
        pairs += [("url", _link(link, "o.slug"))]
        return Relation(pairs, source(through, model, key), "o.name, o.id", ["o.slug"])

    citation_order = "o.first_author, CAST(o.year AS TEXT), o.year_suffix"
    return {
        "citations": Relation(
            [
                ("key", "o.key"),
                ("label", "o.label"),
                ("doi", "o.doi"),
                ("pmid", "o.pmid"),
                ("pmcid", "o.pmcid"),
                ("title", "o.title"),
                ("authors", "{authors:o.author_names}"),
                ("journal", "o.journal"),
                ("journal_abbrev", "o.journal_abbrev"),
                ("year", "o.year"),
                ("resolution", "o.resolution"),
                ("url", _link("citation", "o.key")),
            ],
            source(Claim.citations.through, Citation, "citation_id"),
            f"{citation_order}, o.id",
            ["o.key"],
        ),
        "citation_checks": Relation(
            [
                ("citation", "o.key"),
                ("support", "l.support"),
                ("record", "l.record"),
                ("level", "l.level"),
                ("note", "l.note"),
            ],
            source(CitationCheck, Citation, "citation_id"),
            f"{citation_order}, l.id",
            [],
        ),
        "drugs": entity(Claim.drugs.through, Drug, "drug_id", "drug", None),
        "cargo": entity(Claim.cargo.through, Cargo, "cargo_id", "cargo", "cargo_type"),
        "targets": entity(Claim.targets.through, Target, "target_id", "target", "target_type"),
        "cell_lines": Relation(
            [
                ("slug", "o.slug"),
                ("name", "o.name"),
                ("role", "l.role"),
                ("url", _link("cell_line", "o.slug")),
            ],
            source(ClaimCellLine, CellLine, "cell_line_id"),
            "l.role, o.name, l.id",
            ["o.slug"],
        ),
    }


def _link(template: str, lookup: str) -> str:
    """``links.url(LINKS[template], lookup)`` for a plain lookup; the template is a parameter,
    written ``{link:<template>}`` until _statement numbers the parameters."""
    return f"replace({{link:{template}}}, '{PLACEHOLDER}', {lookup})"


# The claim's own fields, in ClaimSerializer's order, around the relations (by name) and the
# few written here: (key, SQL over the row ``c`` of the claim with its section and mechanism).
def _fields() -> list[tuple[str, str]]:
    return [
        ("id", "c.public_id"),
        ("url", _link("claim", "c.public_id")),
        ("html_url", _link("page", "c.public_id")),
        *((name, f"c.{name}") for name in ("statement", "quote", "quote_start", "quote_end")),
        *((name, f"c.{name}") for name in ("quote_prefix", "quote_suffix")),
        ("section", "c.section_number"),
        ("section_title", "c.section_title"),
        ("citations", "{relation:citations}"),
        ("citation_checks", "{relation:citation_checks}"),
        ("drugs", "{relation:drugs}"),
        ("cargo", "{relation:cargo}"),
        ("cargo_intervention", "c.cargo_intervention"),
        ("targets", "{relation:targets}"),
        ("cited", "{cited}"),
        ("cell_lines", "{relation:cell_lines}"),
        ("mechanism", "{mechanism}"),
        *((name, f"c.{name}") for name in ("therapy_class", "direction", "model", "exosome_source")),
        *((name, f"c.{name}") for name in ("status", "rejection_reason", "citation_support", "notes")),
        ("version", "c.version"),
        ("created", "{utc:c.created}"),
        ("updated", "{utc:c.updated}"),
        ("flags_url", _link("flags", "c.public_id")),
    ]


# The claim's columns the object reads.
_CLAIM_COLUMNS = (
    "id public_id statement quote quote_start quote_end quote_prefix quote_suffix cargo_intervention "
    "therapy_class direction model exosome_source status rejection_reason citation_support notes version "
    "created updated"
).split()


class Dialect:
    """How one database writes the page: objects, arrays, tests of lookups, datetimes."""

    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def object(self, pairs: Sequence[tuple[str, str]]) -> str:
        if self.pg:
            # A row's JSON: json_build_object looks up each argument's type on every call,
            # twice the time of row_to_json, which does it once per statement.
            columns = ", ".join(f'{value} AS "{key}"' for key, value in pairs)
            return f"(SELECT row_to_json(j) FROM (SELECT {columns}) j)"
        return "json_object(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"

    def array(self, relation: "Relation") -> str:
        """The claim ``c``'s ``relation`` as a JSON array, or NULL when a lookup is not plain."""
        item, unplain = self.object(relation.item), self.unplain(relation.lookups)
        where = f"{relation.source} WHERE l.claim_id = c.id"
        if self.pg:
            return (
                f"(SELECT CASE WHEN bool_or({unplain}) THEN NULL"
                f" ELSE COALESCE(json_agg({item} ORDER BY {relation.order}), '[]'::json) END FROM {where})"
            )
        # SQLite 3.40 has no ORDER BY in aggregates: the rows come ordered from a subquery, which
        # SQLite does not flatten into an aggregate query, so group_concat keeps their order.
        return (
            "(SELECT CASE WHEN max(unplain) THEN NULL ELSE '[' || COALESCE(group_concat(item, ','), '') || ']'"
            f" END FROM (SELECT {item} AS item, {unplain} AS unplain FROM {where} ORDER BY {relation.order}))"
        )

    def embed(self, array: str) -> str:
        """An array from ``array`` as a value of the claim's object (SQLite's is text until json())."""
        return array if self.pg else f"json({array})"

    def unplain(self, lookups: Sequence[str]) -> str:
        """Whether one of ``lookups`` has a character claims.url_templates leaves to reverse()."""
        if not lookups:
            return "false" if self.pg else "0"
        if self.pg:
            return " OR ".join(f"({lookup} !~ '^[A-Za-z0-9_-]+$')" for lookup in lookups)
        return " OR ".join(f"({lookup} = '' OR {lookup} GLOB '*[^-A-Za-z0-9_]*')" for lookup in lookups)

    def boolean(self, condition: str) -> str:
        return condition if self.pg else f"CASE WHEN {condition} THEN json('true') ELSE json('false') END"

    def text(self, value: str) -> str:
        """A JSON value as text (psycopg would parse PostgreSQL's json type into Python objects)."""
        return f"({value})::text" if self.pg else value

    def utc(self, column: str) -> str:
        """A datetime column as ``datetime.isoformat()`` writes it in UTC, "+00:00" as "Z"."""
        if self.pg:
            moment = f"({column} AT TIME ZONE 'UTC')"
            return (
                f"to_char({moment}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
                f" || CASE WHEN date_trunc('second', {moment}) = {moment} THEN ''"
                f" ELSE to_char({moment}, '.US') END || 'Z'"
            )
        # Django's SQLite backend stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]".
        return f"replace({column}, ' ', 'T') || 'Z'"

    def authors(self, column: str) -> str:
        """citation_ref's authors: family and given of each name, "" where a key is missing."""
        if self.pg:

            def pg_name(key: str) -> str:
                return f"CASE WHEN a.value ? '{key}' THEN a.value -> '{key}' ELSE to_jsonb(''::text) END"

            item = self.object([("family", pg_name("family")), ("given", pg_name("given"))])
            return (
                f"(SELECT COALESCE(json_agg({item} ORDER BY a.position), '[]'::json)"
                f" FROM jsonb_array_elements({column}) WITH ORDINALITY AS a(value, position))"
            )

        def name(key: str) -> str:
            return (
                f"CASE WHEN json_type(a.value, '$.{key}') IS NULL THEN ''"
                f" ELSE json_extract(a.value, '$.{key}') END"
            )

        item = self.object([("family", name("family")), ("given", name("given"))])
        return f"(SELECT json_group_array({item}) FROM json_each({column}) AS a)"


def _table(model: type[Model]) -> str:
    return model._meta.db_table


_TOKEN = re.compile(r"\{(\w+)(?::([\w.]+))?\}")


@functools.cache
def _statement(
    vendor: str, by: str, count: int, version_sql: str | None = None
) -> tuple[str, list[int | None]]:
    """The page statement for ``count`` values of the claims' ``by`` column (id, or public_id
    for the detail), and what each of its parameters is: the LINKS index of a link template, or
    None for the values. With ``version_sql`` (claims.facets' data version, a one-row SELECT)
    its values follow each row's own."""
    d = Dialect(vendor)
    relations = _relations()
    claim, section, mechanism = _table(Claim), _table(Section), _table(Mechanism)
    # The claim row ``c``: the claim's columns with its section's number and title and its
    # mechanism's slug and name.
    row = (
        f"SELECT {', '.join('c.' + column for column in _CLAIM_COLUMNS)}, s.number AS section_number, s.title AS section_title, m.id AS mechanism_key,"
        f" m.slug AS mechanism_slug, m.name AS mechanism_name FROM {claim} c"
        f" JOIN {section} s ON s.id = c.section_id LEFT JOIN {mechanism} m ON m.id = c.mechanism_id"
        f" WHERE c.{by} {{ids}}"
    )
    mechanism_object = d.object(
        [
            ("slug", "c.mechanism_slug"),
            ("name", "c.mechanism_name"),
            ("url", _link("mechanism", "c.mechanism_slug")),
        ]
    )
    tokens = {
        "mechanism": f"CASE WHEN c.mechanism_key IS NULL THEN NULL ELSE {mechanism_object} END",
        "cited": d.boolean(
            f"EXISTS (SELECT 1 FROM {_table(Claim.citations.through)} l WHERE l.claim_id = c.id)"
        ),
    }
    claim_unplain = (
        f"{d.unplain(['c.public_id'])} OR (c.mechanism_key IS NOT NULL AND {d.unplain(['c.mechanism_slug'])})"
    )
    sql = _page(d, relations, row, tokens, claim_unplain)
    if version_sql is not None:
        sql = f"SELECT page.*, data_version.* FROM ({sql}) page CROSS JOIN ({version_sql}) data_version"
    uses: list[int | None] = []

    def fill(match: re.Match[str]) -> str:
        kind, argument = match.groups()
        if kind == "link":
            uses.append(list(LINKS).index(argument))
            return "%s"
        if kind == "ids":
            uses.append(None)
            return any_of(vendor, count)
        if kind == "utc":
            return d.utc(argument)
        if kind == "authors":
            return d.authors(argument)
        raise ValueError(f"unknown token {match.group()}")

    # Left to right, so ``uses`` lists the parameters in the statement's order (no token's SQL
    # holds another token).
    return _TOKEN.sub(fill, sql), uses


def _page(d: Dialect, relations: dict[str, Relation], row: str, tokens: dict[str, str], unplain: str) -> str:
    """Each relation a correlated subquery per claim (an array, or NULL when a lookup is not
    plain); the claim rows with their arrays are materialised first, so that testing an array
    for NULL does not run its subquery again."""
    columns = [f"{d.array(relation)} AS r_{name}" for name, relation in relations.items()]
    values = {f"relation:{name}": d.embed(f"c.r_{name}") for name in relations}
    body = _object(d, tokens, values)
    incomplete = " OR ".join([*(f"c.r_{name} IS NULL" for name in relations), "c.unplain"])
    return (
        f"WITH page AS MATERIALIZED (SELECT c.*, {', '.join(columns)}, {unplain} AS unplain FROM ({row}) c)"
        f" SELECT c.id, CASE WHEN {incomplete} THEN NULL ELSE {d.text(body)} END, c.statement, c.quote,"
        " c.public_id, c.version FROM page c"
    )


def _object(d: Dialect, tokens: dict[str, str], values: dict[str, str]) -> str:
    """The claim's JSON object, its relations given by ``values`` ({"relation:<name>": SQL})."""
    given = {**values, **tokens}
    return d.object([(key, given.get(value[1:-1], value)) for key, value in _fields()])


def page_texts(
    db: str,
    ids: Sequence[int],
    links: Links,
    snippet: Callable[[str, str], str | None],
    fallback: Callable[[list[int]], dict[int, dict[str, Any]]],
) -> "PageTexts":
    """The JSON text of each claim of ``ids``, in that order, with its ``search_snippet``
    (``snippet(statement, quote)``); the claims SQL cannot write come from ``fallback(ids)``
    (the serializer's dicts). A claim deleted since its id was read is left out, as a page read
    a moment later would leave it out."""
    found = claims_json(db, ids, links)
    left = [pk for pk in ids if pk in found and found[pk][0] is None]
    written = {pk: _dumps(data) for pk, data in fallback(left).items()} if left else {}
    texts = []
    for pk in ids:
        if pk not in found or (found[pk][0] is None and pk not in written):
            continue
        text, statement, quote = found[pk]
        if text is None:
            texts.append(written[pk])
        else:
            texts.append(with_snippet(text, snippet(statement, quote)))
    return PageTexts(texts)


def with_snippet(text: str, snippet: str | None) -> str:
    """A claim's JSON text with its ``search_snippet``, the serializer's last field."""
    return f'{text[:-1]},"search_snippet":{_dumps(snippet)}}}'


def _dumps(value: Any) -> str:
    # As DRF's JSONRenderer writes (UNICODE_JSON, COMPACT_JSON).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class PageTexts(Sequence[dict[str, Any]]):
    """A page of claims written as JSON texts. JSONPageRenderer writes the texts as they are;
    read as a sequence (``response.data["results"]`` in a test or a middleware) each is a dict."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [json.loads(text) for text in self.texts[index]]
        return json.loads(self.texts[index])


class ClaimText(Mapping[str, Any]):
    """One claim written as JSON text (the claim detail). JSONPageRenderer writes the text as it
    is; read as a mapping (``response.data`` in a test or a middleware) it is the dict."""

    def __init__(self, text: str) -> None:
        self.text = text

    @functools.cached_property
    def _data(self) -> dict[str, Any]:
        return json.loads(self.text)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class JSONPageRenderer(JSONRenderer):
    """DRF's JSON renderer, which writes a page's ``PageTexts``, or a ``ClaimText``, into the
    response as they are."""

    MARKER = "\x00claims\x00"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, ClaimText):
            if self.get_indent(accepted_media_type or "", renderer_context or {}):
                return super().render(dict(data), accepted_media_type, renderer_context)
            return data.text.encode()
        if not (isinstance(data, dict) and isinstance(data.get("results"), PageTexts)):
            return super().render(data, accepted_media_type, renderer_context)
        envelope = super().render({**data, "results": self.MARKER}, accepted_media_type, renderer_context)
        before, after = envelope.split(json.dumps(self.MARKER).encode(), 1)
        return before + ("[" + ",".join(data["results"].texts) + "]").encode() + after
