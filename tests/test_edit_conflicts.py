"""Issue 18, item 10: two curators editing one claim at once.

The site's edit form sends every field. Saved over a claim someone changed meanwhile, it used to
either refuse the whole edit or (saved again from the conflict page) undo the other curator's
changes to fields this curator never touched. Edits are now merged field by field; only a field
both changed to different values is refused, with both values shown.
"""

import json

import pytest
from django.contrib.messages import get_messages

from claims import vocabulary as v
from claims.forms import ClaimForm
from claims.models import CellLine, Claim, Drug, Target
from claims.services.claim_merge import FieldConflict
from claims.services.claim_writes import claim_update
from claims.services.history import claim_restore, claim_revisions
from tests.factories import make_claim

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def draft(curator):
    return make_claim(curator, drugs=[Drug.objects.get(slug="doxorubicin")], notes="First note.")


def _opened(claim):
    """The edit form as the curator's browser holds it after opening the claim."""
    return {k: ("" if value is None else str(value)) for k, value in ClaimForm.initial_for(claim).items()}


def _save(client, claim, data):
    return client.post(f"/claims/{claim.public_id}/edit/", {**data, "action": "save"})


def test_two_curators_changing_different_fields_from_one_version_both_keep_their_change(
    curator_client, other_curator, draft
):
    mine = {**_opened(draft), "statement": "Pumped-out drugs leave tumour cells resistant."}
    claim_update(
        claim=draft,
        user=other_curator,
        notes="Checked against figure 2.",
        drugs=[Drug.objects.get(slug="paclitaxel")],
    )
    response = _save(curator_client, draft, mine)
    assert response.status_code == 302, "no conflict page: the edits touch different fields"
    saved = Claim.objects.get(pk=draft.pk)
    assert saved.statement == "Pumped-out drugs leave tumour cells resistant."
    assert saved.notes == "Checked against figure 2."
    assert [d.slug for d in saved.drugs.all()] == ["paclitaxel"]
    assert saved.version == 3
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "kept: Drugs, Curator notes." in message


def test_relations_and_cell_lines_changed_by_each_are_merged(curator_client, other_curator, draft):
    mine = {**_opened(draft), "drugs": "doxorubicin; tamoxifen"}
    mcf7 = CellLine.objects.get(slug="mcf-7")
    claim_update(
        claim=draft, user=other_curator, cell_lines=[(mcf7, "recipient")], model=v.ModelSystem.IN_VITRO
    )
    assert _save(curator_client, draft, mine).status_code == 302
    saved = Claim.objects.get(pk=draft.pk)
    assert sorted(d.slug for d in saved.drugs.all()) == ["doxorubicin", "tamoxifen"]
    assert [(link.cell_line.slug, link.role) for link in saved.cell_line_links.all()] == [
        ("mcf-7", "recipient")
    ]
    assert saved.model == v.ModelSystem.IN_VITRO


def test_the_same_field_changed_differently_is_refused_with_both_values_and_nothing_overwritten(
    curator_client, other_curator, draft
):
    mine = {**_opened(draft), "statement": "My statement.", "exosome_source": "MCF-7/ADR cells"}
    claim_update(claim=draft, user=other_curator, statement="Their statement.", notes="Their note.")
    response = _save(curator_client, draft, mine)
    assert response.status_code == 409
    conflict = response.context["conflict"]
    assert conflict["conflicts"] == [
        FieldConflict("statement", "Statement", "My statement.", "Their statement.")
    ]
    assert conflict["kept"] == ("Curator notes",)
    html = response.content.decode()
    assert "You and they changed the same field differently" in html
    assert "<td>My statement.</td><td>Their statement.</td>" in html
    current = Claim.objects.get(pk=draft.pk)
    assert (current.statement, current.notes, current.exosome_source, current.version) == (
        "Their statement.",
        "Their note.",
        "",
        2,
    )


def test_saving_again_from_the_conflict_page_keeps_their_other_changes(curator_client, other_curator, draft):
    """The conflict page's form used to hold the curator's stale copy of every field, so saving it
    undid the other curator's changes to fields this curator never touched."""
    mine = {**_opened(draft), "statement": "My statement."}
    claim_update(claim=draft, user=other_curator, statement="Their statement.", notes="Their note.")
    conflict_page = _save(curator_client, draft, mine)
    assert conflict_page.status_code == 409
    form = conflict_page.context["form"]
    assert (form["statement"].value(), form["notes"].value(), form["version"].value()) == (
        "My statement.",
        "Their note.",
        "2",
    )
    again = _save(curator_client, draft, dict(form.data.items()))
    assert again.status_code == 302
    saved = Claim.objects.get(pk=draft.pk)
    assert (saved.statement, saved.notes, saved.version) == ("My statement.", "Their note.", 3)


def test_a_conflict_on_a_relation_lists_both_sets(curator_client, other_curator, draft):
    mine = {**_opened(draft), "drugs": "tamoxifen"}
    claim_update(claim=draft, user=other_curator, drugs=[Drug.objects.get(slug="paclitaxel")])
    response = _save(curator_client, draft, mine)
    assert response.status_code == 409
    [field] = response.context["conflict"]["conflicts"]
    assert (field.name, field.label, field.yours, field.theirs) == (
        "drugs",
        "Drugs",
        "tamoxifen",
        "paclitaxel",
    )
    assert [d.slug for d in Claim.objects.get(pk=draft.pk).drugs.all()] == ["paclitaxel"]


def test_the_same_change_made_by_both_is_no_conflict(curator_client, other_curator, draft):
    mine = {**_opened(draft), "notes": "Same note.", "model": v.ModelSystem.IN_VIVO}
    claim_update(claim=draft, user=other_curator, notes="Same note.")
    assert _save(curator_client, draft, mine).status_code == 302
    saved = Claim.objects.get(pk=draft.pk)
    assert (saved.notes, saved.model, saved.version) == ("Same note.", v.ModelSystem.IN_VIVO, 3)


def test_a_new_quote_is_merged_with_their_note(curator_client, other_curator, draft):
    quote = "These pumps export a variety of contaminants"
    mine = {**_opened(draft), "quote": quote}
    claim_update(claim=draft, user=other_curator, notes="Their note.")
    assert _save(curator_client, draft, mine).status_code == 302
    saved = Claim.objects.get(pk=draft.pk)
    assert (saved.quote, saved.notes) == (quote, "Their note.")
    assert saved.section.source.text[saved.quote_start : saved.quote_end] == quote


def test_a_form_with_windows_line_ends_changes_no_note(curator_client, other_curator, curator):
    claim = make_claim(curator, notes="Line one.\nLine two.")
    mine = {**_opened(claim), "notes": "Line one.\r\nLine two.", "statement": "My statement."}
    claim_update(claim=claim, user=other_curator, notes="Their note.")
    assert _save(curator_client, claim, mine).status_code == 302
    saved = Claim.objects.get(pk=claim.pk)
    assert (saved.statement, saved.notes) == ("My statement.", "Their note.")


def test_an_api_patch_changes_only_the_fields_it_sends(curator_client, other_curator, draft):
    """The API has no whole-form problem: PATCH sends only what the client changes, and a stale
    If-Match is refused with 412 (tests/test_api_write.py)."""
    claim_update(claim=draft, user=other_curator, notes="Their note.")
    response = curator_client.patch(
        f"/api/claims/{draft.public_id}/",
        data=json.dumps({"statement": "My statement."}),
        content_type="application/json",
    )
    assert response.status_code == 200
    saved = Claim.objects.get(pk=draft.pk)
    assert (saved.statement, saved.notes) == ("My statement.", "Their note.")


def test_restoring_a_revision_brings_back_what_was_done_to_the_cargo_and_its_targets(curator, draft):
    target = Target.objects.create(slug="abcb1-x", name="ABCB1-X", target_type=v.TargetType.GENE)
    claim_update(claim=draft, user=curator, cargo_intervention=v.CargoIntervention.RAISED, targets=[target])
    claim_update(claim=draft, user=curator, cargo_intervention=v.CargoIntervention.LOWERED, targets=[])
    second = claim_revisions(draft)[1]
    claim_restore(claim=draft, history_id=second.record.history_id, user=curator)
    restored = Claim.objects.get(pk=draft.pk)
    assert restored.cargo_intervention == v.CargoIntervention.RAISED
    assert list(restored.targets.all()) == [target]
    changes = {change.name for change in claim_revisions(draft)[0].changes}
    assert {"cargo_intervention", "targets"} <= changes
