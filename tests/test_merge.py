"""Merging duplicate entities: claims re-pointed, aliases kept, one transaction, history kept."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from claims import vocabulary as v
from claims.filters import ClaimFilter
from claims.models import Cargo, CellLine, Claim, ClaimCellLine, Mechanism
from claims.services.claim_writes import claim_update
from claims.services.history import claim_restore, claim_revisions
from claims.services.merge import entities_merge
from claims.services.workflow import claim_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirna():
    """A miRNA of the transcription that some claims name."""
    return Cargo.objects.filter(cargo_type=v.CargoType.MIRNA, claims__isnull=False).order_by("slug").first()


@pytest.fixture
def duplicate(mirna, curator):
    """A second spelling of ``mirna``, named by two claims (one of which also names ``mirna``)."""
    twin = Cargo.objects.create(
        name=f"{mirna.name} (as misspelt)",
        slug=f"{mirna.slug}-misspelt",
        aliases=["miR-typo"],
        cargo_type=mirna.cargo_type,
    )
    both = mirna.claims.order_by("public_id").first()
    claim_update(claim=both, user=curator, cargo=[*both.cargo.all(), twin])
    only = Claim.objects.exclude(cargo=mirna).order_by("public_id").first()
    claim_update(claim=only, user=curator, cargo=[twin])
    return twin


def _cargo_of(claim):
    return sorted(Claim.objects.get(pk=claim.pk).cargo.values_list("slug", flat=True))


def test_merging_repoints_every_claim_and_keeps_the_spellings_as_aliases(mirna, duplicate, editor):
    naming = list(Claim.objects.filter(cargo=duplicate).order_by("public_id"))
    claim_transition(claim=naming[1], user=editor, to_status="approved")
    before = {c.pk: (Claim.objects.get(pk=c.pk).version, Claim.objects.get(pk=c.pk).status) for c in naming}

    report = entities_merge(keep=mirna, merge=[duplicate], user=editor)

    assert report.claims == [c.public_id for c in naming]
    assert not Cargo.objects.filter(pk=duplicate.pk).exists()
    mirna.refresh_from_db()
    assert {duplicate.name, duplicate.slug, "miR-typo"} <= set(mirna.aliases)
    for claim in naming:
        after = Claim.objects.get(pk=claim.pk)
        assert mirna.slug in _cargo_of(claim) and duplicate.slug not in _cargo_of(claim)
        assert _cargo_of(claim).count(mirna.slug) == 1
        assert (after.version, after.status) == (before[claim.pk][0] + 1, before[claim.pk][1]), (
            "status is kept"
        )
        record = after.history.first()
        assert (record.history_user, record.history_change_reason) == (editor, f"merged into {mirna.slug}")
        assert [row.cargo_id for row in record.cargo.all()].count(mirna.pk) == 1
    deletion = Cargo.history.filter(id=duplicate.pk).first()
    assert (deletion.history_type, deletion.history_user, deletion.history_change_reason) == (
        "-",
        editor,
        f"merged into {mirna.slug}",
    )


def test_old_spellings_still_find_the_claims_in_search_and_filters(mirna, duplicate, editor):
    naming = set(Claim.objects.filter(cargo__in=[mirna, duplicate]).values_list("pk", flat=True))
    entities_merge(keep=mirna, merge=[duplicate], user=editor)
    assert set(Claim.objects.search("miR-typo").values_list("pk", flat=True)) == naming
    filterset = ClaimFilter(QueryDict(f"cargo={duplicate.slug}"), queryset=Claim.objects.all())
    assert filterset.is_valid()
    assert set(filterset.qs.values_list("pk", flat=True)) == naming


def test_blank_identifiers_are_filled_and_differing_ones_stop_the_merge(mirna, duplicate, editor):
    Cargo.objects.filter(pk=mirna.pk).update(mirbase="")
    Cargo.objects.filter(pk=duplicate.pk).update(mirbase="MIMAT0000001")
    mirna.refresh_from_db()
    duplicate.refresh_from_db()
    entities_merge(keep=mirna, merge=[duplicate], user=editor)
    assert Cargo.objects.get(pk=mirna.pk).mirbase == "MIMAT0000001"

    other = Cargo.objects.create(
        name="miR-other spelling",
        slug="mir-other-spelling",
        cargo_type=mirna.cargo_type,
        mirbase="MIMAT0000002",
    )
    with pytest.raises(ValidationError, match="different miRBase"):
        entities_merge(keep=mirna, merge=[other], user=editor)
    assert Cargo.objects.filter(pk=other.pk).exists()


def test_a_protein_is_not_merged_into_a_mirna(mirna, editor):
    protein = Cargo.objects.create(name="Some protein", slug="some-protein", cargo_type=v.CargoType.PROTEIN)
    with pytest.raises(ValidationError, match="different"):
        entities_merge(keep=mirna, merge=[protein], user=editor)


def test_merging_cell_lines_keeps_each_role_once_and_moves_derived_lines(curator, editor):
    mcf7 = CellLine.objects.get(slug="mcf-7")
    twin = CellLine.objects.create(name="MCF7", slug="mcf7", species="human")
    derived = CellLine.objects.create(name="MCF7/TAM", slug="mcf7-tam", parent=twin)
    first, second = Claim.objects.order_by("public_id")[:2]
    claim_update(
        claim=first, user=curator, cell_lines=[(mcf7, "recipient"), (twin, "recipient"), (twin, "donor")]
    )
    claim_update(claim=second, user=curator, cell_lines=[(twin, "studied")])

    entities_merge(keep=mcf7, merge=[twin], user=editor)

    assert sorted(ClaimCellLine.objects.filter(claim=first).values_list("cell_line__slug", "role")) == [
        ("mcf-7", "donor"),
        ("mcf-7", "recipient"),
    ]
    assert list(ClaimCellLine.objects.filter(claim=second).values_list("cell_line__slug", "role")) == [
        ("mcf-7", "studied")
    ]
    assert CellLine.objects.get(pk=derived.pk).parent == mcf7
    assert "MCF7" in CellLine.objects.get(pk=mcf7.pk).aliases


def test_merging_mechanisms_repoints_claims_and_narrower_mechanisms(curator, editor):
    keep = Mechanism.objects.filter(claims__isnull=False).order_by("slug").first()
    twin = Mechanism.objects.create(name=f"{keep.name} (duplicate)", slug=f"{keep.slug}-duplicate")
    narrower = Mechanism.objects.create(name="A narrower mechanism", slug="a-narrower-mechanism", parent=twin)
    claim = Claim.objects.exclude(mechanism=keep).order_by("public_id").first()
    claim_update(claim=claim, user=curator, mechanism=twin)

    entities_merge(keep=keep, merge=[twin], user=editor)

    assert Claim.objects.get(pk=claim.pk).mechanism == keep
    assert Mechanism.objects.get(pk=narrower.pk).parent == keep


def test_a_merge_refused_part_way_changes_nothing(editor):
    keep = Mechanism.objects.create(name="Kept mechanism", slug="kept-mechanism")
    twin = Mechanism.objects.create(name="Twin mechanism", slug="twin-mechanism")
    child = Mechanism.objects.create(name="Child of the twin", slug="child-of-the-twin", parent=twin)
    keep.parent = child
    keep.save()
    # Re-parenting the twin's child under the kept mechanism would make a cycle; it is found
    # after the aliases were written, so only the transaction keeps this clean.
    with pytest.raises(ValidationError, match="its own ancestor"):
        entities_merge(keep=keep, merge=[twin], user=editor)
    assert Mechanism.objects.get(pk=keep.pk).aliases == []
    assert Mechanism.objects.get(pk=child.pk).parent_id == twin.pk
    assert Mechanism.objects.filter(pk=twin.pk).exists()


def test_curators_cannot_merge_because_merging_deletes(mirna, duplicate, curator):
    with pytest.raises(PermissionDenied):
        entities_merge(keep=mirna, merge=[duplicate], user=curator)
    assert Cargo.objects.filter(pk=duplicate.pk).exists()


def test_restoring_a_revision_from_before_the_merge_names_the_kept_entity(mirna, duplicate, curator, editor):
    claim = Claim.objects.filter(cargo=duplicate).exclude(cargo=mirna).get()
    with_duplicate = claim_revisions(claim)[0]
    entities_merge(keep=mirna, merge=[duplicate], user=editor)
    claim = Claim.objects.get(pk=claim.pk)
    claim_update(claim=claim, user=curator, cargo=[])
    claim_restore(claim=claim, history_id=with_duplicate.record.history_id, user=curator)
    assert _cargo_of(claim) == [mirna.slug]


def test_the_admin_merge_action_asks_which_to_keep_then_merges(
    editor_client, curator_client, mirna, duplicate
):
    url = "/admin/claims/cargo/"
    chosen = {"action": "merge_entities", ACTION_CHECKBOX_NAME: [mirna.pk, duplicate.pk]}
    page = editor_client.post(url, chosen)
    assert page.status_code == 200 and f'value="{mirna.pk}"' in page.content.decode()
    assert Cargo.objects.filter(pk=duplicate.pk).exists(), "choosing writes nothing"

    done = editor_client.post(url, {**chosen, "apply": "Merge", "keep": mirna.pk})
    assert done.status_code == 302
    assert not Cargo.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.name in Cargo.objects.get(pk=mirna.pk).aliases

    assert "merge_entities" not in curator_client.get(url).content.decode()
