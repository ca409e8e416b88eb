"""Writing through the REST API: who may do what, validation that names the field, no lost updates."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token

from claims import vocabulary as v
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    StatusChange,
)
from claims.services.workflow import claim_transition, flag_raise
from tests.factories import make_claim

pytestmark = pytest.mark.django_db

QUOTE = "However, increased drug efflux could lead to chemoresistance."
BIB = b"""@article{testc2003,
  author = {Testc, Anna and Other, Bo},
  title = {A fabricated entry for the import test},
  journal = {Journal of Tests},
  year = {2003},
  doi = {10.5555/exo.test.0003}
}
"""


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def send(client, method, path, payload=None, **headers):
    if payload is None:
        return getattr(client, method)(path, headers=headers)
    return getattr(client, method)(
        path, data=json.dumps(payload), content_type="application/json", headers=headers
    )


def token_client(user):
    return Client(headers={"Authorization": f"Token {Token.objects.create(user=user).key}"})


@pytest.fixture
def author(db):
    user = User.objects.create(username="author")  # no password: it never signs in
    user.groups.add(Group.objects.get(name="curators"))
    return user


@pytest.fixture
def draft(author):
    return make_claim(
        author, statement="Pumping more drug out of the cell can make tumours resistant to chemotherapy."
    )


def claim_payload(**changes):
    return {
        "section": "3.1",
        "quote": QUOTE,
        "statement": "Raising drug efflux can make cancer cells chemoresistant.",
        "therapy_class": "chemotherapy",
        "direction": "promotes_resistance",
        "model": "not_stated",
        "citations": [Citation.objects.filter(claims__section__number="3.1").order_by("key").first().key],
        "drugs": ["doxorubicin"],
        "cargo": [],
        "cell_lines": [],
        **changes,
    }


def fingerprint():
    """Everything a write could touch, to show a refused write changed nothing."""
    return {
        "claims": list(
            Claim.objects.order_by("pk").values_list("pk", "version", "status", "statement", "notes")
        ),
        "links": [
            list(Claim.citations.through.objects.order_by("pk").values_list("claim_id", "citation_id")),
            list(Claim.drugs.through.objects.order_by("pk").values_list("claim_id", "drug_id")),
            list(ClaimCellLine.objects.order_by("pk").values_list("claim_id", "cell_line_id", "role")),
        ],
        "citations": list(
            Citation.objects.order_by("pk").values_list("pk", "key", "label", "title", "doi", "notes")
        ),
        "entities": [
            list(m.objects.order_by("pk").values_list("pk", "slug", "name", "aliases", "notes"))
            for m in (Drug, Cargo, CellLine, Mechanism)
        ],
        "flags": list(Flag.objects.order_by("pk").values_list("pk", "text", "resolution")),
        "status_changes": StatusChange.objects.count(),
    }


# The permission matrix: every write × anonymous, reader, curator, editor, admin.

PERSONAS = ["anonymous", "reader", "curator", "editor", "admin"]
MODEL_WRITE = {
    "create": (401, 403, 201, 201, 201),
    "change": (401, 403, 200, 200, 200),
    "delete": (401, 403, 403, 204, 204),
}


@pytest.fixture
def spares(db):
    """Objects no claim uses, so deleting them is allowed when the user may."""
    return {
        "citation": Citation.objects.create(
            key="spare1999", label="Spare et al., 1999", first_author="Spare", year=1999
        ),
        "drugs": Drug.objects.create(name="sparemycin", slug="sparemycin"),
        "cargo": Cargo.objects.create(name="miR-spare", slug="mir-spare", cargo_type="mirna"),
        "cell-lines": CellLine.objects.create(name="SPARE-1", slug="spare-1"),
        "mechanisms": Mechanism.objects.create(name="Spare mechanism", slug="spare-mechanism"),
    }


ENTITY_NEW = {
    "drugs": {"slug": "newmycin", "name": "newmycin", "aliases": ["NMC"]},
    "cargo": {"slug": "mir-new", "name": "miR-new", "type": "mirna"},
    "cell-lines": {"slug": "new-1", "name": "NEW-1", "species": "human"},
    "mechanisms": {"slug": "new-mechanism", "name": "New mechanism"},
}


def _writes():
    writes = {
        "claim create": ("post", lambda c: "/api/claims/", lambda c: claim_payload(), MODEL_WRITE["create"]),
        "claim replace": (
            "put",
            lambda c: f"/api/claims/{c['draft'].public_id}/",
            lambda c: claim_payload(direction="background"),
            MODEL_WRITE["change"],
        ),
        "claim change": (
            "patch",
            lambda c: f"/api/claims/{c['draft'].public_id}/",
            lambda c: {"notes": "Checked."},
            MODEL_WRITE["change"],
        ),
        "claim delete": (
            "delete",
            lambda c: f"/api/claims/{c['draft'].public_id}/",
            None,
            MODEL_WRITE["delete"],
        ),
        "claim submit": (
            "post",
            lambda c: f"/api/claims/{c['draft'].public_id}/transition/",
            lambda c: {"status": "in_review"},
            (401, 403, 200, 200, 200),
        ),
        "flag raise": (
            "post",
            lambda c: f"/api/claims/{c['draft'].public_id}/flags/",
            lambda c: {"kind": "misquote", "text": "Check the quote."},
            (401, 201, 201, 201, 201),
        ),
        "flag resolve": (
            "post",
            lambda c: f"/api/claims/{c['draft'].public_id}/flags/{c['flag'].pk}/resolve/",
            lambda c: {"resolution": "Fixed."},
            (401, 403, 403, 200, 200),
        ),
        "citation create": (
            "post",
            lambda c: "/api/citations/",
            lambda c: {
                "key": "newby2020",
                "label": "Newby et al., 2020",
                "year": 2020,
                "doi": "10.5555/new.2020",
            },
            MODEL_WRITE["create"],
        ),
        "citation change": (
            "patch",
            lambda c: "/api/citations/spare1999/",
            lambda c: {"title": "A spare work"},
            MODEL_WRITE["change"],
        ),
        "citation delete": ("delete", lambda c: "/api/citations/spare1999/", None, MODEL_WRITE["delete"]),
        "citation import": ("import", lambda c: "/api/citations/import/", None, (401, 403, 200, 200, 200)),
    }
    for path, new in ENTITY_NEW.items():
        writes[f"{path} create"] = (
            "post",
            lambda c, p=path: f"/api/{p}/",
            lambda c, n=new: n,
            MODEL_WRITE["create"],
        )
        writes[f"{path} change"] = (
            "patch",
            lambda c, p=path: f"/api/{p}/{c['spares'][p].slug}/",
            lambda c: {"notes": "Looked at."},
            MODEL_WRITE["change"],
        )
        writes[f"{path} delete"] = (
            "delete",
            lambda c, p=path: f"/api/{p}/{c['spares'][p].slug}/",
            None,
            MODEL_WRITE["delete"],
        )
    return writes


WRITES = _writes()


@pytest.fixture
def persona_client(request):
    """A client for the persona, signed in with a token (creating only that persona's account)."""
    fixtures = {"reader": "reader", "curator": "curator", "editor": "editor", "admin": "admin_user"}
    return lambda name: (
        Client() if name == "anonymous" else token_client(request.getfixturevalue(fixtures[name]))
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("write", WRITES)
def test_permission_matrix(persona_client, draft, author, spares, write, persona):
    flag = flag_raise(claim=draft, user=author, kind="other", text="Something to look at.")
    context = {"draft": draft, "flag": flag, "spares": spares}
    method, path, payload, statuses = WRITES[write]
    expected = statuses[PERSONAS.index(persona)]
    client = persona_client(persona)
    before = fingerprint()
    if method == "import":
        response = client.post(path(context), {"file": SimpleUploadedFile("refs.bib", BIB)})
    else:
        response = send(client, method, path(context), payload(context) if payload else None)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert fingerprint() == before, "a refused write changed something"
        assert response.json()["detail"]
    else:
        assert fingerprint() != before


def test_a_session_write_needs_the_csrf_token(curator):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(curator)
    before = fingerprint()
    response = send(browser, "patch", "/api/drugs/doxorubicin/", {"notes": "From the browser."})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert fingerprint() == before


def test_a_bad_token_is_a_401():
    response = send(Client(headers={"Authorization": "Token not-a-real-token"}), "post", "/api/claims/", {})
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."


# Claims.


def names_version(etag, claim):
    """True when a representation ETag ("CLM-0042-v3-<digest>") names the claim's current version."""
    return etag.startswith(f"{claim.etag[:-1]}-")


def test_a_curator_tool_creates_a_draft_claim_from_slugs(curator):
    client = token_client(curator)
    payload = claim_payload(cell_lines=[{"slug": "mcf-7", "role": "recipient"}], mechanism="drug-efflux")
    response = send(client, "post", "/api/claims/", payload)
    assert response.status_code == 201, response.content
    data = response.json()
    claim = Claim.objects.get(public_id=data["id"])
    assert response["Location"] == data["url"] == f"http://testserver/api/claims/{claim.public_id}/"
    assert names_version(response["ETag"], claim)
    assert claim.status == v.CurationStatus.DRAFT and claim.created_by == curator
    assert claim.source.text[claim.quote_start : claim.quote_end] == QUOTE
    assert [d.slug for d in claim.drugs.all()] == ["doxorubicin"]
    assert [(link.cell_line.slug, link.role) for link in claim.cell_line_links.all()] == [
        ("mcf-7", "recipient")
    ]
    assert claim.mechanism.slug == "drug-efflux"
    assert claim.history.first().history_user == curator


@pytest.mark.parametrize(
    "changes, field, fragment",
    [
        ({"drugs": ["doxorubicin", "unobtainium"]}, "drugs", "'unobtainium'"),
        ({"cargo": ["mir-000"]}, "cargo", "'mir-000'"),
        ({"citations": ["nobody1900"]}, "citations", "'nobody1900'"),
        ({"cell_lines": [{"slug": "hela-x", "role": "donor"}]}, "cell_lines", "'hela-x'"),
        ({"mechanism": "telepathy"}, "mechanism", "'telepathy'"),
        ({"section": "9.9"}, "section", "'9.9'"),
        ({"quote": "Exosomes cure every cancer."}, "quote", ""),
        ({"section": "1"}, "quote", "section 1"),
        ({"statement": QUOTE}, "statement", "own words"),
        ({"direction": "sideways"}, "direction", "sideways"),
        ({"citations": []}, "citations", "at least one citation"),
        ({"statement": "nul\x00byte"}, "statement", "Null characters are not allowed"),
    ],
)
def test_a_bad_claim_is_a_400_naming_the_field_and_nothing_is_written(
    curator_client, changes, field, fragment
):
    before = fingerprint()
    response = send(curator_client, "post", "/api/claims/", claim_payload(**changes))
    assert response.status_code == 400
    errors = response.json()
    assert field in errors and fragment in json.dumps(errors[field], ensure_ascii=False)
    assert fingerprint() == before


def test_a_likely_duplicate_is_refused_unless_asked_for(curator_client):
    existing = Claim.objects.filter(drugs__isnull=False, cargo__isnull=False, citations__isnull=False).first()
    payload = claim_payload(
        section=existing.section.number,
        quote=existing.quote,
        statement="The same finding, worded again by someone else.",
        citations=[existing.citations.first().key],
        drugs=[existing.drugs.first().slug],
        cargo=[existing.cargo.first().slug],
    )
    before = fingerprint()
    refused = send(curator_client, "post", "/api/claims/", payload)
    assert refused.status_code == 409
    assert existing.public_id in {d["id"] for d in refused.json()["duplicates"]}
    assert fingerprint() == before
    created = send(curator_client, "post", "/api/claims/", {**payload, "allow_duplicate": True})
    assert created.status_code == 201


def test_an_update_with_the_current_etag_applies_and_moves_the_etag_on(curator_client, draft):
    etag = curator_client.get(f"/api/claims/{draft.public_id}/")["ETag"]
    response = send(
        curator_client,
        "patch",
        f"/api/claims/{draft.public_id}/",
        {"notes": "Checked."},
        **{"If-Match": etag},
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.notes == "Checked." and names_version(response["ETag"], draft)
    assert not names_version(etag, draft)
    assert response.json()["version"] == draft.version


def test_an_update_with_a_stale_etag_is_a_412_and_changes_nothing(curator_client, editor_client, draft):
    etag = curator_client.get(f"/api/claims/{draft.public_id}/")["ETag"]
    assert (
        send(
            editor_client, "patch", f"/api/claims/{draft.public_id}/", {"notes": "Editor first."}
        ).status_code
        == 200
    )
    before = fingerprint()
    for method, payload in [
        ("patch", {"notes": "Curator second."}),
        ("put", claim_payload(direction="background")),
    ]:
        response = send(
            curator_client, method, f"/api/claims/{draft.public_id}/", payload, **{"If-Match": etag}
        )
        assert response.status_code == 412
        assert "version" in response.json()["detail"]
        draft.refresh_from_db()
        assert response["ETag"] == draft.etag
    assert fingerprint() == before
    assert draft.notes == "Editor first."


@pytest.mark.parametrize("if_match", ["*", None])
def test_if_match_star_or_none_applies_to_the_current_version(curator_client, draft, if_match):
    headers = {"If-Match": if_match} if if_match else {}
    response = send(
        curator_client,
        "patch",
        f"/api/claims/{draft.public_id}/",
        {"exosome_source": "MCF-7/ADR cells"},
        **headers,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.exosome_source == "MCF-7/ADR cells"


def test_a_stale_delete_is_a_412_and_the_claim_stays(editor_client, curator_client, draft):
    etag = editor_client.get(f"/api/claims/{draft.public_id}/")["ETag"]
    send(curator_client, "patch", f"/api/claims/{draft.public_id}/", {"notes": "Edited meanwhile."})
    response = send(editor_client, "delete", f"/api/claims/{draft.public_id}/", **{"If-Match": etag})
    assert response.status_code == 412
    assert Claim.objects.filter(pk=draft.pk).exists()
    assert send(editor_client, "delete", f"/api/claims/{draft.public_id}/").status_code == 204
    assert not Claim.objects.filter(pk=draft.pk).exists()


def test_transitions_follow_the_workflow(curator_client, editor_client, draft, editor, author):
    path = f"/api/claims/{draft.public_id}/transition/"
    refused = send(curator_client, "post", path, {"status": "approved"})
    assert refused.status_code == 400 and "draft to approved" in refused.json()["errors"]["status"][0]
    submitted = send(curator_client, "post", path, {"status": "in_review"})
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    assert names_version(submitted["ETag"], Claim.objects.get(pk=draft.pk))
    assert send(curator_client, "post", path, {"status": "approved"}).status_code == 403
    no_reason = send(editor_client, "post", path, {"status": "rejected"})
    assert no_reason.status_code == 400 and list(no_reason.json()["errors"]) == ["reason"]
    stale = send(editor_client, "post", path, {"status": "approved"}, **{"If-Match": draft.etag})
    assert stale.status_code == 412
    approved = send(editor_client, "post", path, {"status": "approved"}, **{"If-Match": submitted["ETag"]})
    assert approved.status_code == 200
    change = StatusChange.objects.filter(claim=draft).last()
    assert (change.to_status, change.changed_by) == ("approved", editor)


def test_an_editor_cannot_approve_their_own_edit(editor_client, draft, author):
    claim_transition(claim=draft, user=author, to_status="in_review")
    send(editor_client, "patch", f"/api/claims/{draft.public_id}/", {"exosome_source": "Editor edited it."})
    response = send(
        editor_client, "post", f"/api/claims/{draft.public_id}/transition/", {"status": "approved"}
    )
    assert response.status_code == 403 and "edited this claim" in response.json()["detail"]


def test_flags_are_raised_listed_and_resolved(reader_client, editor_client, draft, reader, editor):
    raised = send(
        reader_client,
        "post",
        f"/api/claims/{draft.public_id}/flags/",
        {"kind": "misquote", "text": " Wrong page. "},
    )
    assert raised.status_code == 201
    flag = Flag.objects.get(pk=raised.json()["id"])
    assert (flag.raised_by, flag.text, flag.is_open) == (reader, "Wrong page.", True)
    assert [f["id"] for f in reader_client.get(f"/api/claims/{draft.public_id}/flags/").json()] == [flag.pk]
    bad = send(reader_client, "post", f"/api/claims/{draft.public_id}/flags/", {"kind": "rant", "text": ""})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"kind", "text"}
    resolved = send(
        editor_client,
        "post",
        f"/api/claims/{draft.public_id}/flags/{flag.pk}/resolve/",
        {"resolution": "Quote fixed."},
    )
    assert resolved.status_code == 200 and resolved.json()["is_open"] is False
    again = send(
        editor_client,
        "post",
        f"/api/claims/{draft.public_id}/flags/{flag.pk}/resolve/",
        {"resolution": "Again."},
    )
    assert again.status_code == 400 and "already resolved" in again.json()["resolution"][0]
    missing = send(
        editor_client, "post", f"/api/claims/{draft.public_id}/flags/999999/resolve/", {"resolution": "x"}
    )
    assert missing.status_code == 404 and "no flag 999999" in missing.json()["detail"]


# Citations.


@pytest.mark.parametrize(
    "payload, field, fragment",
    [
        ({"key": "ning2017", "label": "Ning et al., 2017x"}, "key", "already exists"),
        ({"key": "Bad Key", "label": "Bad"}, "key", "lowercase surname"),
        ({"label": "Ning et al., 2017"}, "label", "ning2017"),
        ({"doi": "10.5555/TAKEN.1"}, "doi", "taken2000"),
        ({"doi": "doi:10.5555/x"}, "doi", "10.NNNN"),
        ({"year": 1492}, "year", "1800"),
        ({"pmid": "PMC123"}, "pmid", "digits"),
        ({"entry_type": "poem"}, "entry_type", "poem"),
    ],
)
def test_a_bad_citation_is_a_400_naming_the_field(curator_client, payload, field, fragment):
    Citation.objects.create(key="taken2000", label="Taken, 2000", year=2000, doi="10.5555/taken.1")
    before = fingerprint()
    body = {"key": "fresh2021", "label": "Fresh et al., 2021", "year": 2021, **payload}
    response = send(curator_client, "post", "/api/citations/", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and fragment in errors[field][0]
    assert fingerprint() == before


def test_a_citation_key_cannot_change_and_a_used_citation_cannot_be_deleted(curator_client, editor_client):
    citation = Citation.objects.filter(claims__isnull=False).order_by("key").first()
    renamed = send(curator_client, "patch", f"/api/citations/{citation.key}/", {"key": "other2000"})
    assert renamed.status_code == 400 and "cannot be changed" in renamed.json()["key"][0]
    deleted = send(editor_client, "delete", f"/api/citations/{citation.key}/")
    assert deleted.status_code == 409 and citation.key in deleted.json()["detail"]
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_a_citation_can_be_enriched(curator_client, curator):
    citation = Citation.objects.order_by("key").first()
    response = send(
        curator_client,
        "patch",
        f"/api/citations/{citation.key}/",
        {"title": "The real title", "doi": "10.5555/REAL.1", "journal": "J Real"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["is_stub"] is False and data["doi_url"] == "https://doi.org/10.5555/REAL.1"
    assert data["claim_count"] == citation.claims.count()
    citation.refresh_from_db()
    assert citation.history.first().history_user == curator


def test_a_bibtex_import_reports_and_a_dry_run_writes_nothing(curator):
    client = token_client(curator)
    before = fingerprint()
    dry = client.post("/api/citations/import/?dry_run=true", {"file": SimpleUploadedFile("refs.bib", BIB)})
    assert dry.status_code == 200, dry.content
    report = dry.json()
    assert report["dry_run"] is True and report["counts"]["new"] == 1
    assert report["results"][0]["entry_key"] == "testc2003" and report["results"][0]["outcome"] == "new"
    assert fingerprint() == before
    written = client.post(
        f"/api/citations/import/?expected_digest={report['digest']}",
        data=BIB,
        content_type="application/x-bibtex",
    )
    assert written.status_code == 200 and written.json()["dry_run"] is False
    citation = Citation.objects.get(doi="10.5555/exo.test.0003")
    assert citation.title == "A fabricated entry for the import test"
    again = client.post("/api/citations/import/", data=BIB, content_type="application/x-bibtex")
    assert again.json()["counts"]["unchanged"] == 1


def test_a_bibtex_import_whose_plan_changed_is_a_409(curator):
    client = token_client(curator)
    dry = client.post(
        "/api/citations/import/?dry_run=true", data=BIB, content_type="application/x-bibtex"
    ).json()
    Citation.objects.create(
        key="testc2003",
        label="Testc and Other, 2003",
        first_author="Testc",
        year=2003,
        doi="10.5555/other.doi",
    )
    before = fingerprint()
    response = client.post(
        f"/api/citations/import/?expected_digest={dry['digest']}",
        data=BIB,
        content_type="application/x-bibtex",
    )
    assert response.status_code == 409 and response.json()["digest"] != dry["digest"]
    assert fingerprint() == before


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"@article{broken, title = {no end", "line 1"),
        (b"", "Send a .bib file"),
        (b"\xff\xfe@article{", "UTF-8"),
    ],
)
def test_an_unreadable_bibtex_file_is_refused_whole(curator_client, body, fragment):
    before = fingerprint()
    response = curator_client.post("/api/citations/import/", data=body, content_type="application/x-bibtex")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()["errors"]["file"])
    assert fingerprint() == before


# Entities.


@pytest.mark.parametrize(
    "path, payload, field, fragment",
    [
        (
            "drugs",
            {"slug": "adm-2", "name": "adriamycin two", "aliases": ["ADM"]},
            "aliases",
            "'ADM' already names drug 'doxorubicin'",
        ),
        ("drugs", {"slug": "doxorubicin", "name": "Doxo again"}, "slug", "already exists"),
        ("drugs", {"slug": "Bad-Slug", "name": "bad"}, "slug", "lowercase"),
        ("drugs", {"slug": "newdrug", "name": "newdrug", "chebi": "28748"}, "chebi", "CHEBI:28748"),
        ("drugs", {"slug": "newdrug", "name": "newdrug", "aliases": ["a|b"]}, "aliases", "'|'"),
        ("cargo", {"slug": "mir-x", "name": "miR-x", "type": "dna"}, "type", "dna"),
        (
            "cargo",
            {"slug": "mir-x", "name": "miR-x", "type": "mirna", "mirbase": "hsa-mir-x"},
            "mirbase",
            "MIMAT",
        ),
        ("cell-lines", {"slug": "x-1", "name": "X-1", "parent": "hela-x"}, "parent", "'hela-x'"),
        ("cell-lines", {"slug": "x-1", "name": "X-1", "cellosaurus": "0031"}, "cellosaurus", "CVCL_"),
        ("mechanisms", {"slug": "m-x", "name": "M"}, "name", ""),
    ],
)
def test_a_bad_entity_is_a_400_naming_the_field(curator_client, path, payload, field, fragment):
    if path == "mechanisms":
        payload = {**payload, "name": Mechanism.objects.first().name}
    before = fingerprint()
    response = send(curator_client, "post", f"/api/{path}/", payload)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors and fragment in " ".join(errors[field])
    assert fingerprint() == before


def test_an_entity_slug_cannot_change_and_a_parent_cannot_make_a_cycle(curator_client):
    child = Mechanism.objects.filter(parent__isnull=False).first()
    renamed = send(curator_client, "patch", f"/api/mechanisms/{child.slug}/", {"slug": "renamed"})
    assert renamed.status_code == 400 and "cannot be changed" in renamed.json()["errors"]["slug"][0]
    cycle = send(curator_client, "patch", f"/api/mechanisms/{child.parent.slug}/", {"parent": child.slug})
    assert cycle.status_code == 400 and "own ancestor" in cycle.json()["errors"]["parent"][0]


def test_an_entity_in_use_cannot_be_deleted(editor_client):
    response = send(editor_client, "delete", "/api/drugs/doxorubicin/")
    assert response.status_code == 409
    assert "doxorubicin is used by" in response.json()["detail"]
    assert Drug.objects.filter(slug="doxorubicin").exists()


def test_a_parent_cell_line_cannot_be_deleted(editor_client):
    parent = CellLine.objects.create(name="PARENT-1", slug="parent-1")
    CellLine.objects.create(name="PARENT-1/R", slug="parent-1-r", parent=parent)
    response = send(editor_client, "delete", "/api/cell-lines/parent-1/")
    assert response.status_code == 409 and "parent-1-r" in response.json()["detail"]


def test_a_new_alias_finds_the_drugs_claims_by_filter_and_by_search(curator_client, client):
    expected = set(Claim.objects.filter(drugs__slug="doxorubicin").values_list("public_id", flat=True))
    response = send(
        curator_client, "patch", "/api/drugs/doxorubicin/", {"aliases": ["ADM", "DOX", "Wonderdrugin"]}
    )
    assert response.status_code == 200 and response.json()["aliases"] == ["ADM", "DOX", "Wonderdrugin"]
    by_filter = client.get("/api/claims/", {"drug": "wonderdrugin", "page_size": 500}).json()["results"]
    by_search = client.get("/api/claims/", {"q": "wonderdrugin", "page_size": 500}).json()["results"]
    assert {c["id"] for c in by_filter} == {c["id"] for c in by_search} == expected


def test_creating_an_entity_returns_it_with_its_links(curator_client):
    response = send(
        curator_client, "post", "/api/cell-lines/", {"slug": "mcf-7-x", "name": "MCF-7/X", "parent": "mcf-7"}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["url"] == "http://testserver/api/cell-lines/mcf-7-x/" and data["parent"] == "mcf-7"
    assert (
        data["claim_count"] == 0 and data["claims_url"] == "http://testserver/api/claims/?cell_line=mcf-7-x"
    )
