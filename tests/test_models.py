"""Model invariants: a violated constraint is a database error, never bad data."""

import pytest
from django.db import IntegrityError, transaction

from claims import vocabulary as v
from claims.models import Cargo, CellLine, Citation, Claim, ClaimCellLine, Drug, Mechanism, Section, Source
from tests.factories import make_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def review():
    return Source.objects.the_review()


@pytest.fixture
def claim():
    return make_claim()


def violates(**changes):
    """Assert that saving ``claim`` with ``changes`` is refused by the database."""

    def check(instance):
        for name, value in changes.items():
            setattr(instance, name, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            instance.save()

    return check


@pytest.mark.parametrize(
    "changes",
    [
        {"statement": ""},
        {"quote": ""},
        {"direction": "cures_cancer"},
        {"therapy_class": "surgery"},
        {"model": "in_silico"},
        {"status": "published"},
        {"citation_support": "maybe"},
        {"status": v.CurationStatus.REJECTED, "rejection_reason": ""},
        {"public_id": "X-1"},
        {"quote_end": 3, "quote_start": 10},
        {"quote_end": 10_000},
    ],
    ids=lambda c: ",".join(c),
)
def test_claim_constraints_refuse_bad_values(claim, changes):
    violates(**changes)(claim)


def test_a_rejected_claim_with_a_reason_is_fine(claim):
    claim.status, claim.rejection_reason = v.CurationStatus.REJECTED, "The cited paper is about lung cancer."
    claim.save()


def test_public_ids_are_unique(claim, review):
    duplicate = Claim(
        public_id=claim.public_id,
        source=review,
        section=claim.section,
        statement="x",
        quote="x",
        quote_start=0,
        quote_end=1,
        therapy_class="general",
        direction="background",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_cell_line_role_must_be_known(claim):
    line = CellLine.objects.create(name="Test line", slug="test-line")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimCellLine.objects.create(claim=claim, cell_line=line, role="bystander")


def test_the_same_cell_line_may_appear_once_per_role(claim):
    line = CellLine.objects.create(name="Test line", slug="test-line")
    ClaimCellLine.objects.create(claim=claim, cell_line=line, role=v.CellLineRole.DONOR)
    ClaimCellLine.objects.create(claim=claim, cell_line=line, role=v.CellLineRole.RECIPIENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimCellLine.objects.create(claim=claim, cell_line=line, role=v.CellLineRole.DONOR)


def test_citation_dois_are_unique_ignoring_case():
    Citation.objects.create(key="aaa2020", label="Aaa et al., 2020", year=2020, doi="10.1000/ABC")
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(key="bbb2020", label="Bbb et al., 2020", year=2020, doi="10.1000/abc")


def test_many_citations_may_have_no_doi():
    Citation.objects.create(key="aaa2020", label="Aaa et al., 2020", year=2020)
    Citation.objects.create(key="bbb2020", label="Bbb et al., 2020", year=2020)


@pytest.mark.parametrize(
    "fields",
    [{"doi": "doi:10.1/x"}, {"year": 1200}, {"key": ""}, {"label": ""}, {"entry_type": "blogpost"}],
    ids=lambda f: ",".join(f),
)
def test_citation_constraints(fields):
    values = {"key": "ccc2020", "label": "Ccc et al., 2020", "year": 2020, **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(**values)


@pytest.mark.parametrize(
    "model,fields",
    [
        (Drug, {"chebi": "28748"}),
        (Drug, {"drugbank": "00997"}),
        (Cargo, {"cargo_type": "virus"}),
        (Cargo, {"cargo_type": "protein", "hgnc": "40"}),
        (CellLine, {"cellosaurus": "0031"}),
        (CellLine, {"subtype": "basal-ish"}),
    ],
)
def test_entity_identifier_and_choice_constraints(model, fields):
    values = {"name": "Thing", "slug": "thing", **fields}
    if model is Cargo:
        values.setdefault("cargo_type", "protein")
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**values)


def test_an_entity_cannot_be_its_own_parent():
    mechanism = Mechanism.objects.create(name="Loop", slug="loop")
    mechanism.parent = mechanism
    with pytest.raises(IntegrityError), transaction.atomic():
        mechanism.save()


def test_entities_are_found_by_slug_name_or_alias_case_insensitively():
    drug = Drug.objects.create(name="Examplomycin", slug="examplomycin", aliases=["EXM", "Exampla"])
    for term in ["examplomycin", "EXAMPLOMYCIN", "exm", "exampla"]:
        assert list(Drug.objects.matching([term])) == [drug]
    assert not Drug.objects.matching(["exa"]).exists()
    assert not Drug.objects.matching(["|"]).exists()


def test_natural_keys_round_trip(claim, review):
    assert Claim.objects.get_by_natural_key(*claim.natural_key()) == claim
    assert Source.objects.get_by_natural_key(*review.natural_key()) == review
    section = claim.section
    assert Section.objects.get_by_natural_key(*section.natural_key()) == section
    citation = Citation.objects.first()
    assert Citation.objects.get_by_natural_key(*citation.natural_key()) == citation
    mechanism = Mechanism.objects.first()
    assert Mechanism.objects.get_by_natural_key(*mechanism.natural_key()) == mechanism


def test_the_etag_changes_with_the_version(claim):
    before = claim.etag
    claim.version += 1
    assert claim.etag != before
