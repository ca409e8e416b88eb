"""Bulk editing in the admin: every action and list editing obey the single-claim rules."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from claims import vocabulary as v
from claims.exports import CSV_COLUMNS
from claims.models import Cargo, Claim, Drug, Mechanism, StatusChange
from claims.services.claim_writes import claim_update
from claims.services.workflow import claim_transition

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/claims/claim/"
S = v.CurationStatus


@pytest.fixture
def three():
    """Three claims of the transcription (in review, as loaded), with citations."""
    return list(
        Claim.objects.filter(status=S.IN_REVIEW, citations__isnull=False).distinct().order_by("public_id")[:3]
    )


def _act(client, action, claims, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in claims], **extra}
    if "apply" not in extra:
        data["index"] = 0
    return client.post(CHANGELIST, data)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _fresh(claims):
    return [Claim.objects.get(pk=c.pk) for c in claims]


def test_approving_in_bulk_follows_the_workflow_claim_by_claim(editor_client, editor, three):
    claim_update(claim=three[2], user=editor, exosome_source="The editor touched this one.")
    response = _act(editor_client, "approve", three, apply="Approve")
    assert response.status_code == 302
    assert [c.status for c in _fresh(three)] == [S.APPROVED, S.APPROVED, S.IN_REVIEW]
    assert (
        StatusChange.objects.filter(claim__in=three[:2], to_status=S.APPROVED, changed_by=editor).count() == 2
    )
    messages = _messages(response)
    assert "2 claims approved; 1 refused." in messages
    assert any(
        m.startswith(f"{three[2].public_id} was not changed: ") and "edited this claim" in m for m in messages
    )


def test_curators_are_not_offered_approving_and_cannot_force_it(curator_client, three):
    assert 'value="approve"' not in curator_client.get(CHANGELIST).content.decode()
    _act(curator_client, "approve", three)
    assert [c.status for c in _fresh(three)] == [S.IN_REVIEW] * 3


def test_sending_to_review_in_bulk(curator_client, curator, editor, three):
    claim_transition(claim=three[0], user=editor, to_status=S.APPROVED)
    claim_transition(claim=three[1], user=curator, to_status=S.DRAFT)
    response = _act(curator_client, "send_to_review", three)
    assert [c.status for c in _fresh(three)] == [S.IN_REVIEW] * 3
    assert "2 claims sent to review; 1 already so." in _messages(response)


def test_rejecting_in_bulk_asks_for_a_reason_first(editor_client, three):
    page = _act(editor_client, "reject", three)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert [c.status for c in _fresh(three)] == [S.IN_REVIEW] * 3

    refused = _act(editor_client, "reject", three, apply="Reject", reason="  ")
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert [c.status for c in _fresh(three)] == [S.IN_REVIEW] * 3

    _act(editor_client, "reject", three, apply="Reject", reason="The cited papers do not say this.")
    assert [(c.status, c.rejection_reason) for c in _fresh(three)] == [
        (S.REJECTED, "The cited papers do not say this.")
    ] * 3


def test_setting_the_mechanism_in_bulk_edits_each_claim_through_the_service(curator_client, curator, three):
    mechanism = (
        Mechanism.objects.exclude(pk__in=[c.mechanism_id for c in three if c.mechanism_id])
        .order_by("slug")
        .first()
    )
    form = _act(curator_client, "set_mechanism", three)
    assert form.status_code == 200 and "admin-autocomplete" in form.content.decode()
    _act(curator_client, "set_mechanism", three, apply="Apply", entity=mechanism.pk)
    for before, after in zip(three, _fresh(three), strict=True):
        assert (after.mechanism, after.version, after.updated_by) == (mechanism, before.version + 1, curator)
        assert mechanism.name.casefold() in after.search_document
        record = after.history.first()
        assert (record.history_user, record.history_change_reason) == (curator, "bulk: set mechanism")


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("set_therapy_class", "therapy_class", v.TherapyClass.IMMUNOTHERAPY),
        ("set_citation_support", "citation_support", v.CitationSupport.PARTLY),
    ],
)
def test_setting_a_choice_in_bulk(curator_client, three, action, field, value):
    _act(curator_client, action, three, apply="Apply", **{field: value})
    assert [getattr(c, field) for c in _fresh(three)] == [value] * 3
    invalid = _act(curator_client, action, three, apply="Apply", **{field: "astrology"})
    assert invalid.status_code == 200 and invalid.context["form"].errors[field]


def test_a_content_change_in_bulk_sends_approved_claims_back_to_review(curator_client, editor, three):
    claim_transition(claim=three[0], user=editor, to_status=S.APPROVED)
    _act(curator_client, "set_therapy_class", three[:1], apply="Apply", therapy_class=v.TherapyClass.OTHER)
    assert _fresh(three[:1])[0].status == S.IN_REVIEW


@pytest.mark.parametrize(("relation", "model", "slug"), [("drug", Drug, "tamoxifen"), ("cargo", Cargo, None)])
def test_adding_and_removing_a_drug_or_cargo_in_bulk(curator_client, curator, three, relation, model, slug):
    entity = model.objects.get(slug=slug) if slug else model.objects.order_by("slug").first()
    manager = "drugs" if relation == "drug" else "cargo"
    first = Claim.objects.get(pk=three[0].pk)
    claim_update(
        claim=first, user=curator, **{manager: [*getattr(first, manager).all(), entity]}
    )  # already names it
    versions = [c.version for c in _fresh(three)]

    response = _act(curator_client, f"add_{relation}", three, apply="Apply", entity=entity.pk)
    assert all(entity in getattr(c, manager).all() for c in _fresh(three))
    assert [c.version for c in _fresh(three)] == [versions[0], versions[1] + 1, versions[2] + 1]
    assert "2 claims changed; 1 already so." in _messages(response)
    alias = (entity.aliases or [entity.name])[0]
    assert {c.pk for c in three} <= set(Claim.objects.search(alias).values_list("pk", flat=True))

    _act(curator_client, f"remove_{relation}", three, apply="Apply", entity=entity.pk)
    assert not any(entity in getattr(c, manager).all() for c in _fresh(three))


def test_exporting_a_selection_as_csv(curator_client, three):
    response = curator_client.post(
        CHANGELIST, {"action": "export_csv", "index": 0, ACTION_CHECKBOX_NAME: [c.pk for c in three]}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == CSV_COLUMNS
    assert [row["id"] for row in rows] == [c.public_id for c in three]
    assert rows[0]["statement"] == three[0].statement
    assert rows[0]["citations"] == "; ".join(c.key for c in three[0].citations.all())


def _list_edit(client, claims, changes, seen=None):
    """Post the changelist's list-edit form: ``changes`` {claim: {field: value}}, ``seen`` as loaded."""
    data = {
        "form-TOTAL_FORMS": len(claims),
        "form-INITIAL_FORMS": len(claims),
        "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for n, claim in enumerate(claims):
        shown = (seen or {}).get(claim, claim)
        values = {
            "status": shown.status,
            "mechanism": shown.mechanism_id or "",
            "therapy_class": shown.therapy_class,
            "direction": shown.direction,
        }
        data[f"form-{n}-id"] = claim.pk
        for name, value in values.items():
            data[f"initial-form-{n}-{name}"] = value
            data[f"form-{n}-{name}"] = changes.get(claim, {}).get(name, value)
    return client.post(CHANGELIST, data)


def test_list_editing_the_status_goes_through_the_workflow(editor_client, curator_client, editor, three):
    response = _list_edit(
        editor_client, three, {three[0]: {"status": S.APPROVED}, three[1]: {"status": S.DRAFT}}
    )
    assert response.status_code == 302
    assert [c.status for c in _fresh(three)] == [S.APPROVED, S.DRAFT, S.IN_REVIEW]
    assert StatusChange.objects.filter(claim=three[0], to_status=S.APPROVED, changed_by=editor).exists()

    # Curators are not offered "approved" (issue 17); a forged one is an invalid choice.
    refused = _list_edit(curator_client, _fresh(three), {three[2]: {"status": S.APPROVED}})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    impossible = _list_edit(editor_client, _fresh(three), {three[1]: {"status": S.APPROVED}})
    assert any("cannot go from draft to approved" in m for m in _messages(impossible))
    assert [c.status for c in _fresh(three)] == [S.APPROVED, S.DRAFT, S.IN_REVIEW]


def test_list_editing_content_goes_through_claim_update(curator_client, curator, three):
    mechanism = Mechanism.objects.order_by("slug").last()
    _list_edit(
        curator_client, three, {three[0]: {"mechanism": mechanism.pk, "direction": v.Direction.BIOMARKER}}
    )
    edited, untouched = _fresh(three)[0], _fresh(three)[1]
    assert (edited.mechanism, edited.direction, edited.version) == (
        mechanism,
        v.Direction.BIOMARKER,
        three[0].version + 1,
    )
    assert edited.history.first().history_change_reason == "admin list edit"
    assert mechanism.name.casefold() in edited.search_document
    assert untouched.version == three[1].version


def test_list_editing_never_reverts_a_change_made_since_the_page_was_loaded(
    curator_client, other_curator, three
):
    loaded = _fresh(three)
    claim_update(claim=three[0], user=other_curator, therapy_class=v.TherapyClass.ENDOCRINE)
    response = _list_edit(
        curator_client,
        _fresh(three),
        {three[0]: {"therapy_class": v.TherapyClass.OTHER}},
        seen={c: c for c in loaded} | {_fresh(three)[0]: loaded[0]},
    )
    assert any("someone else changed therapy_class meanwhile" in m for m in _messages(response))
    assert _fresh(three)[0].therapy_class == v.TherapyClass.ENDOCRINE


def test_a_list_edited_row_is_all_or_nothing(editor_client, editor, three):
    """An editor changing a claim's direction and approving it in one row: the approval is refused
    (it would approve their own edit), so the direction change is not kept either."""
    _list_edit(editor_client, three, {three[0]: {"direction": v.Direction.BIOMARKER, "status": S.APPROVED}})
    claim = _fresh(three)[0]
    assert (claim.direction, claim.status, claim.version) == (
        three[0].direction,
        S.IN_REVIEW,
        three[0].version,
    )
