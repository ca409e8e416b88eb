"""The claim write path shared by forms, API and admin."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from claims import vocabulary as v
from claims.models import Citation, Claim, Section, StatusChange
from claims.services.claim_fields import CLAIM_FIELDS, COLUMN, RELATION
from claims.services.claim_writes import StaleClaim, claim_check, claim_create, claim_update, find_duplicates
from claims.services.workflow import allowed_transitions, claim_transition, flag_raise, flag_resolve

pytestmark = pytest.mark.django_db
QUOTE = "However, increased drug efflux could lead to chemoresistance."


@pytest.fixture
def draft(curator):
    return claim_create(
        user=curator,
        section=Section.objects.get(number="3.1"),
        quote=QUOTE,
        statement="More drug efflux can make tumours resistant to chemotherapy.",
        therapy_class="chemotherapy",
        direction="background",
    )


def test_create_anchors_the_quote_and_numbers_the_claim(draft, curator):
    text = draft.source.text
    assert text[draft.quote_start : draft.quote_end] == QUOTE
    assert draft.public_id.startswith("CLM-") and draft.status == v.CurationStatus.DRAFT
    assert draft.created_by == curator and draft.history.first().history_user == curator
    assert "efflux" in draft.search_document


def test_a_new_claim_takes_the_next_number_and_never_a_deleted_claims(curator):
    highest = max(int(p[4:]) for p in Claim.objects.values_list("public_id", flat=True) if p[4:].isdigit())
    section = Section.objects.get(number="3.1")
    citation = Citation.objects.first()

    def create():
        return claim_create(
            user=curator,
            section=section,
            quote=QUOTE,
            statement="Efflux again.",
            therapy_class="chemotherapy",
            direction="background",
            citations=[citation],
        )

    first = create()
    assert first.public_id == f"CLM-{highest + 1:04d}"
    first.delete()
    # The deleted claim's id may be cited somewhere already: it is never given to another claim.
    assert create().public_id == f"CLM-{highest + 2:04d}"


def test_create_names_every_bad_field(curator):
    with pytest.raises(ValidationError) as error:
        claim_create(
            user=curator,
            section=Section.objects.get(number="1"),
            quote=QUOTE,
            statement=" ",
            therapy_class="surgery",
            direction="promotes_resistance",
        )
    fields = error.value.message_dict
    assert set(fields) == {"statement", "therapy_class", "citations", "quote"}
    assert "section 1" in fields["quote"][0]
    assert Claim.objects.filter(quote=QUOTE).count() == 0


def test_create_names_unknown_and_missing_fields_and_writes_nothing(curator):
    count = Claim.objects.count()
    with pytest.raises(ValidationError) as error:
        claim_create(
            user=curator,
            section=Section.objects.get(number="3.1"),
            quote=QUOTE,
            statement="Efflux makes cells resist.",
            therapy_class="chemotherapy",
            colour="blue",
        )
    fields = error.value.message_dict
    assert set(fields) == {"colour", "direction"}
    assert "A claim has no field 'colour'" in fields["colour"][0] and "statement" in fields["colour"][0]
    assert fields["direction"] == ["This field is required."]
    assert Claim.objects.count() == count


def test_a_new_claims_edit_summary_is_kept_with_its_creation(curator):
    claim = claim_create(
        user=curator,
        section=Section.objects.get(number="3.1"),
        quote=QUOTE,
        statement="Efflux makes cells resist.",
        therapy_class="chemotherapy",
        direction="background",
        change_reason="Added from the review's section on efflux pumps.",
    )
    (record,) = claim.history.all()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        curator,
        "Added from the review's section on efflux pumps.",
    )


def test_every_field_a_curator_writes_is_stored_on_the_claim(curator):
    """Each column of claim_fields.CLAIM_FIELDS is written by create and update, each relation too."""
    section = Section.objects.get(number="3.1")
    claim = claim_create(
        user=curator,
        section=section,
        quote=QUOTE,
        statement="S.",
        therapy_class="chemotherapy",
        direction="background",
    )
    model_fields = {f.name for f in Claim._meta.get_fields()}
    for field in CLAIM_FIELDS:
        if field.kind in (COLUMN, RELATION):
            assert field.name in model_fields, field.name
        if field.kind == COLUMN and not field.required:
            assert getattr(claim, field.name) == field.default, field.name


def test_a_check_with_a_stale_version_is_refused_like_the_update(draft, curator):
    claim_update(claim=draft, user=curator, statement="First edit of the statement.")
    assert claim_check(claim=draft, expected_version=draft.version, notes="A note.").changed == {"notes"}
    with pytest.raises(StaleClaim, match="changed by someone else"):
        claim_check(claim=draft, expected_version=1, notes="A note.")


def test_a_stale_update_is_refused_and_changes_nothing(draft, curator, other_curator):
    claim_update(claim=draft, user=curator, expected_version=1, statement="First edit of the statement.")
    stale = Claim.objects.get(pk=draft.pk)
    stale.version = 1
    with pytest.raises(StaleClaim, match="changed by someone else"):
        claim_update(claim=stale, user=other_curator, expected_version=1, statement="Second edit.")
    assert Claim.objects.get(pk=draft.pk).statement == "First edit of the statement."


def test_editing_an_approved_claim_sends_it_back_to_review(draft, curator, editor):
    claim_transition(claim=draft, user=curator, to_status="in_review")
    claim_transition(claim=draft, user=editor, to_status="approved")
    claim_update(claim=draft, user=curator, statement="A better statement about efflux.")
    assert draft.status == v.CurationStatus.IN_REVIEW
    assert list(draft.status_changes.values_list("to_status", flat=True)) == [
        "in_review",
        "approved",
        "in_review",
    ]


def test_curators_submit_editors_decide_and_nobody_approves_their_own_edit(draft, curator, editor):
    assert allowed_transitions(draft, curator) == ["in_review"]
    claim_transition(claim=draft, user=curator, to_status="in_review")
    with pytest.raises(PermissionDenied, match="Only editors"):
        claim_transition(claim=draft, user=curator, to_status="approved")
    claim_update(claim=draft, user=editor, exosome_source="Editor touched it.")
    with pytest.raises(PermissionDenied, match="edited this claim"):
        claim_transition(claim=draft, user=editor, to_status="approved")


def test_rejection_needs_a_reason_and_is_recorded(draft, curator, editor):
    claim_transition(claim=draft, user=curator, to_status="in_review")
    with pytest.raises(ValidationError, match="why"):
        claim_transition(claim=draft, user=editor, to_status="rejected")
    claim_transition(claim=draft, user=editor, to_status="rejected", reason="Not in the cited paper.")
    change = StatusChange.objects.filter(claim=draft).last()
    assert (change.to_status, change.changed_by, change.reason) == (
        "rejected",
        editor,
        "Not in the cited paper.",
    )


def test_an_impossible_transition_is_a_validation_error(draft, editor):
    with pytest.raises(ValidationError, match="cannot go from draft to approved"):
        claim_transition(claim=draft, user=editor, to_status="approved")


def test_flags_are_raised_by_anyone_signed_in_and_resolved_by_editors(draft, reader, curator, editor):
    flag = flag_raise(claim=draft, user=reader, kind="misquote", text="The quote is cut short.")
    with pytest.raises(PermissionDenied):
        flag_resolve(flag=flag, user=curator, resolution="Fixed.")
    flag_resolve(flag=flag, user=editor, resolution="Quote extended.")
    assert not flag.is_open


def test_duplicates_share_a_citation_a_drug_and_a_cargo():
    claim = Claim.objects.filter(drugs__isnull=False, cargo__isnull=False, citations__isnull=False).first()
    if claim is None:
        pytest.skip("the loaded transcription has no claim with drug, cargo and citation")
    found = find_duplicates(citations=claim.citations.all(), drugs=claim.drugs.all(), cargo=claim.cargo.all())
    assert claim.public_id in [d.public_id for d in found]
    assert find_duplicates(citations=[Citation.objects.first()], drugs=[], cargo=[]) == []
