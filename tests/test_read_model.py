"""The claim read model (claims/selectors.py): a page's relations loaded in one named step.

Issue 14: ``ClaimQuerySet`` overrode Django's private ``_clone``/``_fetch_all`` and the relation
loader wrote Django's prefetch caches, so ``claim.drugs.all()`` read loaded rows or ran a query
depending on how the queryset had been built. Now a selector sets plain, documented attributes,
and a claim that skipped it fails loudly instead of running a query per claim.
"""

import math
import re
from pathlib import Path

import pytest
from django.db.models import Exists, OuterRef
from django.urls import get_script_prefix, set_script_prefix

from claims import vocabulary as v
from claims.api.serializers import ClaimSerializer
from claims.exports import claim_csv_row
from claims.models import Claim, Flag
from claims.selectors import LOADED_ATTRIBUTES, claims_with_relations, iter_claims_with_relations, read_page
from claims.templatetags.html_rows import claim_row

pytestmark = pytest.mark.django_db

APP = Path(__file__).resolve().parent.parent / "claims"
PRIVATE_DJANGO_NAMES = [
    "_result_cache",
    "_prefetched_objects_cache",
    "_fetch_all",
    "_prefetch_done",
    "_iterable_class",
    "_clone",
]


def _tagged_claim():
    """A claim with at least one of each relation the selectors load (cell lines, checks too)."""
    claim = (
        Claim.objects.filter(
            cell_line_links__isnull=False, citation_checks__isnull=False, drugs__isnull=False
        )
        .order_by("public_id")
        .first()
    )
    assert claim is not None, "the review's fixtures have fully tagged claims"
    return claim


def _orm_relations(claim):
    """What the ORM says a claim is linked to, each relation in the order the models order it."""
    citation_order = ("first_author", "year", "year_suffix", "pk")
    return {
        "citations": [
            (c.pk, c.key, c.doi, c.pmid, c.year, c.author_names)
            for c in claim.citations.order_by(*citation_order)
        ],
        "drugs": [(d.pk, d.slug, d.name) for d in claim.drugs.order_by("name", "pk")],
        "cargo": [(c.pk, c.slug, c.cargo_type) for c in claim.cargo.order_by("name", "pk")],
        "targets": [(t.pk, t.slug, t.target_type) for t in claim.targets.order_by("name", "pk")],
        "cell_line_links": [
            (link.pk, link.role, link.cell_line.slug)
            for link in claim.cell_line_links.order_by("role", "cell_line__name", "pk")
        ],
        "citation_checks": [
            (check.pk, check.support, check.citation.key)
            for check in claim.citation_checks.order_by(
                *(f"citation__{key}" for key in citation_order[:3]), "pk"
            )
        ],
    }


def _loaded_relations(claim):
    return {
        "citations": [(c.pk, c.key, c.doi, c.pmid, c.year, c.author_names) for c in claim.loaded_citations],
        "drugs": [(d.pk, d.slug, d.name) for d in claim.loaded_drugs],
        "cargo": [(c.pk, c.slug, c.cargo_type) for c in claim.loaded_cargo],
        "targets": [(t.pk, t.slug, t.target_type) for t in claim.loaded_targets],
        "cell_line_links": [
            (link.pk, link.role, link.cell_line.slug) for link in claim.loaded_cell_line_links
        ],
        "citation_checks": [(c.pk, c.support, c.citation.key) for c in claim.loaded_citation_checks],
    }


def test_the_selector_loads_every_relation_of_every_claim_in_one_query(django_assert_num_queries):
    # the claims (with section and mechanism), then the relations of all of them
    with django_assert_num_queries(2):
        claims = claims_with_relations(Claim.objects.for_display())
        loaded = {claim.public_id: _loaded_relations(claim) for claim in claims}
    assert len(claims) == Claim.objects.count() > 250
    for claim in claims:
        assert loaded[claim.public_id] == _orm_relations(claim), claim.public_id


def test_the_selector_takes_a_list_and_runs_no_query_for_no_claims(django_assert_num_queries):
    claim = _tagged_claim()
    with django_assert_num_queries(1):
        (same,) = claims_with_relations([claim])
    assert same is claim and claim.loaded_cell_line_links and claim.loaded_citation_checks
    with django_assert_num_queries(0):
        assert claims_with_relations([]) == []
        # A claim already loaded is not loaded again.
        assert claims_with_relations([claim]) == [claim]


def test_streamed_claims_cost_one_relations_query_per_chunk(django_assert_num_queries):
    total, chunk_size = Claim.objects.count(), 100
    # the claims, read through one cursor, then one relations query per chunk
    with django_assert_num_queries(1 + math.ceil(total / chunk_size)):
        claims = list(iter_claims_with_relations(Claim.objects.for_display(), chunk_size=chunk_size))
        rows = [claim_csv_row(claim) for claim in claims]
    assert [row["id"] for row in rows] == list(Claim.objects.values_list("public_id", flat=True))
    tagged = _tagged_claim()
    (streamed,) = [claim for claim in claims if claim.pk == tagged.pk]
    assert _loaded_relations(streamed) == _orm_relations(tagged)


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(
            lambda claim: ClaimSerializer(claim, context={"request": None}).data, id="api serializer"
        ),
        pytest.param(claim_csv_row, id="csv row"),
        pytest.param(claim_row, id="claim row"),
    ],
)
def test_a_claim_read_without_the_selector_fails_loudly_instead_of_querying(read, django_assert_num_queries):
    """Regression (issue 14): a claim whose relations were not loaded used to run a query per
    relation, per claim (N+1), wherever a caller forgot the loading step."""
    claim = Claim.objects.for_display().get(pk=_tagged_claim().pk)
    with django_assert_num_queries(0):
        with pytest.raises(
            AttributeError, match=r"was not loaded: .*claims\.selectors\.claims_with_relations"
        ):
            read(claim)


def test_every_loaded_attribute_is_declared_on_the_claim():
    claim = Claim.objects.order_by("public_id").first()
    for attribute in LOADED_ATTRIBUTES.values():
        with pytest.raises(AttributeError, match=rf"{claim.public_id}\.{attribute} was not loaded"):
            getattr(claim, attribute)
        assert not hasattr(claim, attribute)


def test_no_module_of_the_app_reads_or_writes_django_private_queryset_attributes():
    """Regression (issue 14): claims/models/claim.py overrode QuerySet._clone, _fetch_all and
    iterator and read _iterable_class; claim_relations.py wrote _result_cache,
    _prefetched_objects_cache and _prefetch_done. A Django upgrade could break them silently."""
    pattern = re.compile(r"\b(" + "|".join(PRIVATE_DJANGO_NAMES) + r")\b")
    found = [
        f"{path.relative_to(APP.parent)}:{number}: {line.strip()}"
        for path in sorted(APP.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


@pytest.fixture
def mounted_under_a_prefix():
    """The site served under /exo/, as behind a proxy that mounts it there (Django's WSGI handler
    sets this prefix from SCRIPT_NAME on every request; the test client does not)."""
    before = get_script_prefix()
    set_script_prefix("/exo/")
    yield
    set_script_prefix(before)


@pytest.mark.usefixtures("mounted_under_a_prefix")
def test_html_pages_link_to_their_api_twin_under_the_site_prefix(client):
    """Regression (issue 14): the claim page, the claim browser and the citation pages wrote
    "/api/..." by hand, which pointed outside the site when it is mounted under a prefix."""
    claim = _tagged_claim()
    citation = claim.citations.order_by("key").first()
    pages = {
        f"/claims/{claim.public_id}/": [f'href="/exo/api/claims/{claim.public_id}/"'],
        # the list hides background statements by default, and so do its API twin and download
        "/claims/": [
            'href="/exo/api/claims/?background=hide"',
            'href="/exo/api/claims/?background=hide&amp;format=csv"',
        ],
        f"/citations/{citation.key}/": [
            f'href="/exo/api/citations/{citation.key}/"',
            f'href="/exo/api/claims/?citation={citation.key}"',
        ],
        "/citations/": ['href="/exo/api/citations/"', 'href="/exo/api/citations/?format=bibtex"'],
    }
    for path, links in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        for link in links:
            assert link in body, (path, link)
        assert 'href="/api/' not in body, path


def _as_read(obj):
    """What an instance holds as read: its model, loaded column values, deferred fields and state."""
    if obj is None:
        return None
    deferred = obj.get_deferred_fields()
    values = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in deferred
    }
    return type(obj), values, deferred, obj._state.db, obj._state.adding


def test_a_page_read_by_its_ids_holds_what_the_orm_reads():
    """claims.selectors.read_page (the page's ids by the ORM, the claims by a statement written once,
    issue 16) gives the claims in the queryset's order, each with the values, deferred fields,
    section, mechanism and annotations the ORM's own reading of for_display() gives."""
    review_errors = Flag.objects.open().filter(kind=v.FlagKind.REVIEW_ERROR, claim_id=OuterRef("pk"))
    claims = (
        Claim.objects.for_display()
        .annotate(records_review_error=Exists(review_errors))
        .order_by("-direction", "-public_id")
    )
    fast, slow = read_page(claims[5:400]), list(claims[5:400])
    assert [claim.pk for claim in fast] == [claim.pk for claim in slow] and len(fast) > 200
    assert {claim.records_review_error for claim in slow} == {True, False}
    assert {claim.mechanism is None for claim in slow} == {True, False}
    for quick, orm in zip(fast, slow, strict=True):
        assert _as_read(quick) == _as_read(orm)
        assert _as_read(quick.section) == _as_read(orm.section)
        assert _as_read(quick.mechanism) == _as_read(orm.mechanism)
        assert quick.records_review_error == orm.records_review_error
    assert read_page(claims.none()[:10]) == []
