"""Who may write what: every write path (site forms, API, admin, imports) × every persona.

One table. Each row sends one write as anonymous, reader (signed in, no role), curator, editor
and admin, and states the answer each must get. A refused write must leave the data exactly as
it was; an allowed one must have changed it. LOGIN means a redirect to the sign-in page.

Management commands (load_review, import_bibtex, import_dataset, make_release) are not in the
table: they need a shell on the server, which is the permission.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from claims import vocabulary as v
from claims.forms import ClaimForm
from claims.models import Citation, Claim, Drug, Flag, Mechanism, Source
from claims.services.claim_writes import claim_update
from tests.factories import persona_client

pytestmark = pytest.mark.django_db
PERSONAS = ["anonymous", "reader", "curator", "editor", "admin"]
LOGIN = "login"  # a redirect to the sign-in page
# Django's admin answers an action the user may not run by showing the changelist again
# (a redirect back to it, with a message) and doing nothing.
NOT_OFFERED = "not offered"
QUOTE = "However, increased drug efflux could lead to chemoresistance."
BIBTEX = b"@article{zed2021,\n  author = {Zed, Ann},\n  title = {A new work},\n  journal = {J},\n  year = {2021}\n}\n"


@dataclass
class World:
    """What the writes act on: a claim in review last edited by another curator, its open flag,
    a citation and a drug nothing rests on, and an earlier revision of the claim."""

    claim: Claim
    flag: Flag
    citation: Citation
    drug: Drug
    revision: int


@pytest.fixture
def world(other_curator):
    claim = Claim.objects.filter(status=v.CurationStatus.IN_REVIEW).order_by("public_id").first()
    revision = claim.history.earliest("history_date").history_id
    claim_update(claim=claim, user=other_curator, statement=claim.statement + " (revised)")
    flag = Flag.objects.create(
        claim=claim, kind=v.FlagKind.OTHER, text="Check this.", raised_by=other_curator
    )
    citation = Citation.objects.create(key="spare2020", label="Spare et al., 2020", year=2020)
    drug = Drug.objects.create(name="Sparemycin", slug="sparemycin")
    return World(Claim.objects.get(pk=claim.pk), flag, citation, drug, revision)


def _claim_form(claim=None, **changes):
    if claim is not None:
        data = {k: ("" if value is None else value) for k, value in ClaimForm.initial_for(claim).items()}
    else:
        data = {
            "section": "3.1",
            "quote": QUOTE,
            "statement": "Pumping drugs out makes cells resist them.",
            "therapy_class": "chemotherapy",
            "direction": "background",
            "model": "not_stated",
            "citation_support": "not_checked",
        }
    return {**data, "action": "save", **changes}


def _bibtex_site(client, w):
    first = client.post("/curate/bibtex/", {"file": SimpleUploadedFile("new.bib", BIBTEX)})
    digest = (first.context or {}).get("digest", "none") if first.status_code == 200 else "none"
    second = client.post("/curate/bibtex/", {"confirm": "Import", "digest": digest})
    return second if first.status_code == 200 else first


def _admin_change(model, obj, **changes):
    """The admin change form's current values, changed: what a browser would post."""
    from django.forms.models import model_to_dict

    data = {k: ("" if value is None else value) for k, value in model_to_dict(obj).items()}
    data.update(changes)
    return data


@dataclass(frozen=True)
class WritePath:
    surface: str
    name: str
    send: Callable
    state: Callable
    outcomes: tuple  # anonymous, reader, curator, editor, admin


def _json(client, method, url, body=None, **headers):
    return getattr(client, method)(url, body, content_type="application/json", headers=headers)


PATHS = [
    # Site forms
    WritePath(
        "site",
        "create a claim",
        lambda c, w: c.post("/claims/new/", _claim_form()),
        lambda w: Claim.objects.count(),
        (LOGIN, 403, 302, 302, 302),
    ),
    WritePath(
        "site",
        "edit a claim",
        lambda c, w: c.post(f"/claims/{w.claim.public_id}/edit/", _claim_form(w.claim, notes="Checked.")),
        lambda w: Claim.objects.values_list("version", "notes").get(pk=w.claim.pk),
        (LOGIN, 403, 302, 302, 302),
    ),
    WritePath(
        "site",
        "approve a claim",
        lambda c, w: c.post(
            f"/claims/{w.claim.public_id}/transition/",
            {"to_status": "approved", "reason": "", "version": w.claim.version},
        ),
        lambda w: Claim.objects.values_list("status", flat=True).get(pk=w.claim.pk),
        (LOGIN, 403, 403, 302, 302),
    ),
    WritePath(
        "site",
        "send a claim back to draft",
        lambda c, w: c.post(
            f"/claims/{w.claim.public_id}/transition/",
            {"to_status": "draft", "reason": "", "version": w.claim.version},
        ),
        lambda w: Claim.objects.values_list("status", flat=True).get(pk=w.claim.pk),
        (LOGIN, 403, 302, 302, 302),
    ),
    WritePath(
        "site",
        "flag a claim",
        lambda c, w: c.post(
            f"/claims/{w.claim.public_id}/flag/", {"kind": "misquote", "text": "Not verbatim."}
        ),
        lambda w: w.claim.flags.count(),
        (LOGIN, 302, 302, 302, 302),
    ),
    WritePath(
        "site",
        "resolve a flag",
        lambda c, w: c.post(f"/flags/{w.flag.pk}/resolve/", {"resolution": "Checked: correct."}),
        lambda w: Flag.objects.values_list("resolved_at", flat=True).get(pk=w.flag.pk),
        (LOGIN, 403, 403, 302, 302),
    ),
    WritePath(
        "site",
        "restore an earlier revision",
        lambda c, w: c.post(
            f"/claims/{w.claim.public_id}/history/{w.revision}/restore/", {"version": w.claim.version}
        ),
        lambda w: Claim.objects.values_list("version", flat=True).get(pk=w.claim.pk),
        (LOGIN, 403, 302, 302, 302),
    ),
    WritePath(
        "import",
        "import BibTeX on the site",
        _bibtex_site,
        lambda w: Citation.objects.count(),
        (LOGIN, 403, 200, 200, 200),
    ),
    # API
    WritePath(
        "api",
        "create a claim",
        lambda c, w: _json(
            c,
            "post",
            "/api/claims/",
            {
                "section": "3.1",
                "quote": QUOTE,
                "statement": "Efflux pumps cause resistance.",
                "therapy_class": "chemotherapy",
                "direction": "background",
            },
        ),
        lambda w: Claim.objects.count(),
        (401, 403, 201, 201, 201),
    ),
    WritePath(
        "api",
        "change a claim",
        lambda c, w: _json(
            c,
            "patch",
            f"/api/claims/{w.claim.public_id}/",
            {"notes": "Checked."},
            **{"If-Match": w.claim.etag},
        ),
        lambda w: Claim.objects.values_list("version", "notes").get(pk=w.claim.pk),
        (401, 403, 200, 200, 200),
    ),
    WritePath(
        "api",
        "delete a claim",
        lambda c, w: c.delete(f"/api/claims/{w.claim.public_id}/", headers={"If-Match": w.claim.etag}),
        lambda w: Claim.objects.filter(pk=w.claim.pk).exists(),
        (401, 403, 403, 204, 204),
    ),
    WritePath(
        "api",
        "approve a claim",
        lambda c, w: _json(c, "post", f"/api/claims/{w.claim.public_id}/transition/", {"status": "approved"}),
        lambda w: Claim.objects.values_list("status", flat=True).get(pk=w.claim.pk),
        (401, 403, 403, 200, 200),
    ),
    WritePath(
        "api",
        "flag a claim",
        lambda c, w: _json(
            c, "post", f"/api/claims/{w.claim.public_id}/flags/", {"kind": "other", "text": "Check the dose."}
        ),
        lambda w: w.claim.flags.count(),
        (401, 201, 201, 201, 201),
    ),
    WritePath(
        "api",
        "resolve a flag",
        lambda c, w: _json(
            c,
            "post",
            f"/api/claims/{w.claim.public_id}/flags/{w.flag.pk}/resolve/",
            {"resolution": "Checked."},
        ),
        lambda w: Flag.objects.values_list("resolved_at", flat=True).get(pk=w.flag.pk),
        (401, 403, 403, 200, 200),
    ),
    WritePath(
        "api",
        "create a citation",
        lambda c, w: _json(
            c, "post", "/api/citations/", {"key": "new2022", "label": "New et al., 2022", "year": 2022}
        ),
        lambda w: Citation.objects.count(),
        (401, 403, 201, 201, 201),
    ),
    WritePath(
        "api",
        "change a citation",
        lambda c, w: _json(c, "patch", f"/api/citations/{w.citation.key}/", {"title": "A title"}),
        lambda w: Citation.objects.values_list("title", flat=True).get(pk=w.citation.pk),
        (401, 403, 200, 200, 200),
    ),
    WritePath(
        "api",
        "delete a citation",
        lambda c, w: c.delete(f"/api/citations/{w.citation.key}/"),
        lambda w: Citation.objects.filter(pk=w.citation.pk).exists(),
        (401, 403, 403, 204, 204),
    ),
    WritePath(
        "import",
        "import BibTeX through the API",
        lambda c, w: c.post("/api/citations/import/", {"file": SimpleUploadedFile("new.bib", BIBTEX)}),
        lambda w: Citation.objects.count(),
        (401, 403, 200, 200, 200),
    ),
    WritePath(
        "api",
        "create a drug",
        lambda c, w: _json(c, "post", "/api/drugs/", {"name": "Newcillin", "slug": "newcillin"}),
        lambda w: Drug.objects.count(),
        (401, 403, 201, 201, 201),
    ),
    WritePath(
        "api",
        "change a drug",
        lambda c, w: _json(c, "patch", f"/api/drugs/{w.drug.slug}/", {"drug_class": "antibiotic"}),
        lambda w: Drug.objects.values_list("drug_class", flat=True).get(pk=w.drug.pk),
        (401, 403, 200, 200, 200),
    ),
    WritePath(
        "api",
        "delete a drug",
        lambda c, w: c.delete(f"/api/drugs/{w.drug.slug}/"),
        lambda w: Drug.objects.filter(pk=w.drug.pk).exists(),
        (401, 403, 403, 204, 204),
    ),
    WritePath(
        "api",
        "create a mechanism",
        lambda c, w: _json(c, "post", "/api/mechanisms/", {"name": "New mechanism", "slug": "new-mechanism"}),
        lambda w: Mechanism.objects.count(),
        (401, 403, 201, 201, 201),
    ),
    # Admin
    WritePath(
        "admin",
        "add a citation",
        lambda c, w: c.post(
            "/admin/claims/citation/add/",
            {
                "key": "adm2023",
                "label": "Adm et al., 2023",
                "year": 2023,
                "bibtex_fields": "{}",
                "entry_type": "",
                "author_names": "[]",
                "candidates": "[]",
                "evidence": "[]",
                "resolution": "unchecked",
            },
        ),
        lambda w: Citation.objects.count(),
        (LOGIN, LOGIN, 302, 302, 302),
    ),
    WritePath(
        "admin",
        "change a drug",
        lambda c, w: c.post(
            f"/admin/claims/drug/{w.drug.pk}/change/",
            _admin_change(Drug, w.drug, drug_class="antibiotic", aliases="[]"),
        ),
        lambda w: Drug.objects.values_list("drug_class", flat=True).get(pk=w.drug.pk),
        (LOGIN, LOGIN, 302, 302, 302),
    ),
    WritePath(
        "admin",
        "delete a drug",
        lambda c, w: c.post(f"/admin/claims/drug/{w.drug.pk}/delete/", {"post": "yes"}),
        lambda w: Drug.objects.filter(pk=w.drug.pk).exists(),
        (LOGIN, LOGIN, 403, 302, 302),
    ),
    WritePath(
        "admin",
        "approve claims in bulk",
        lambda c, w: c.post(
            "/admin/claims/claim/",
            {"action": "approve", "_selected_action": [w.claim.pk], "apply": "Approve"},
        ),
        lambda w: Claim.objects.values_list("status", flat=True).get(pk=w.claim.pk),
        (LOGIN, LOGIN, NOT_OFFERED, 302, 302),
    ),
    WritePath(
        "admin",
        "change the review's bibliographic record",
        lambda c, w: c.post(
            f"/admin/claims/source/{Source.objects.get().pk}/change/",
            {
                **_admin_change(Source, Source.objects.get(), title="Renamed"),
                "sections-TOTAL_FORMS": 0,
                "sections-INITIAL_FORMS": 0,
            },
        ),
        lambda w: Source.objects.values_list("title", flat=True).get(),
        (LOGIN, LOGIN, 403, 403, 302),
    ),
    WritePath(
        "admin",
        "create an account",
        lambda c, w: c.post(
            "/admin/auth/user/add/",
            {
                "username": "mallory",
                "password1": "x7-Unguessable!",
                "password2": "x7-Unguessable!",
                "usable_password": "true",
            },
        ),
        lambda w: User.objects.filter(username="mallory").exists(),
        (LOGIN, LOGIN, 403, 403, 302),
    ),
    WritePath(
        "admin",
        "give the curators group more permissions",
        lambda c, w: c.post(
            f"/admin/auth/group/{Group.objects.get(name='curators').pk}/change/",
            {"name": "curators", "permissions": list(Permission.objects.values_list("pk", flat=True))},
        ),
        lambda w: Group.objects.get(name="curators").permissions.count(),
        (LOGIN, LOGIN, 403, 403, 302),
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", PATHS, ids=[f"{p.surface}: {p.name}" for p in PATHS])
def test_every_write_path_admits_exactly_the_roles_it_should(request, world, path, persona):
    expected = path.outcomes[PERSONAS.index(persona)]
    client = persona_client(request, persona)
    before = path.state(world)

    response = path.send(client, world)

    after = path.state(world)
    if expected in (LOGIN, NOT_OFFERED):
        assert response.status_code == 302
        assert ("/login/" if expected == LOGIN else "/admin/") in response["Location"], response["Location"]
    else:
        assert response.status_code == expected, response.content[:500]
    if expected in (LOGIN, NOT_OFFERED, 401, 403):
        assert after == before, f"{persona} was refused but the data changed"
    else:
        assert after != before, f"{persona} was let through but nothing changed"
