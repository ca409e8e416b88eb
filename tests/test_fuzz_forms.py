"""No site form or search ever answers a 5xx, whatever is typed or posted (issue 18, item 6).

Hypothesis fills every field of every site form, posted through the test client by the persona
who may use it: the claim form (new and edit), flags and their resolution, workflow transitions,
restoring a revision, the admin's entity and citation forms, the BibTeX upload (and its
confirmation), sign-in and the searches. Each field gets either a value the form accepts (so
the other fields are reached) or a hostile one: any Unicode text including NUL and lone
surrogates (sent as the invalid UTF-8 a broken client sends), huge and negative numbers,
non-numbers, several values for one field (the form's "wrong type"). The property is the
issue's: no 5xx; a request that gets one is added to tests/data/fuzz_regressions.jsonl
(replayed by tests/test_fuzz_regressions.py) before the test fails. Examples are few per form
(``max_examples``) so the file stays within CI's budget.
"""

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from claims import vocabulary as v
from claims.models import Claim, Flag
from tests.fuzzing import record, tally

pytestmark = pytest.mark.django_db

# No shrinking: a failing input is kept whole in the corpus, and shrinking 30 kB strings is slow.
BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
QUOTE = "However, increased drug efflux could lead to chemoresistance."

TEXT = st.text(st.characters(codec=None), max_size=60)  # every code point: NUL, surrogates, controls
HOSTILE = st.one_of(
    TEXT,
    st.text(st.sampled_from("\x00\ud800\udfff<>&'\"%;\r\n\u202e"), max_size=8),
    st.integers().map(str),
    st.sampled_from(["99999999999999999999999999999999", "-1", "0", "1e309", "NaN", "inf", "", " "]),
    st.just("x" * 30_000),
)


def field(*valid):
    """A field's value: one the form accepts, a hostile one, or several at once."""
    one = st.one_of(st.sampled_from(valid), HOSTILE) if valid else HOSTILE
    return st.one_of(one, one, st.lists(one, min_size=2, max_size=3))


def form(**fields):
    """A form's data: each field sent or left out."""
    return st.fixed_dictionaries({}, optional=fields)


def _encode(data):
    # errors="surrogatepass": a lone surrogate goes out as the (invalid UTF-8) bytes a client could send.
    return urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass")


def _check(response, *, method, path, persona, body=None, params=None):
    tally(f"forms {method} {path}", response.status_code)
    if response.status_code >= 500:
        record(
            method=method,
            path=path,
            persona=persona,
            params=params,
            body=body,
            content_type="application/x-www-form-urlencoded" if body is not None else None,
            issue=f"found by tests/test_fuzz_forms.py: {response.status_code}",
        )
    assert response.status_code < 500, (method, path, params or body)


def post(client, path, data, persona):
    client.raise_request_exception = False  # a 500 is recorded, then fails the test
    cache.clear()  # sign-in throttling and rate limits would hide the form behind a 429
    body = _encode(data)
    response = client.post(path, body, content_type="application/x-www-form-urlencoded", secure=True)
    _check(response, method="POST", path=path, persona=persona, body=body)
    return response


def get(client, path, params, persona):
    client.raise_request_exception = False
    cache.clear()
    query = _encode(params)
    response = client.get(f"{path}?{query}" if query else path, secure=True)
    _check(response, method="GET", path=path, persona=persona, params=dict(params) or None)


CLAIM_FORM = form(
    section=field("3.1", "3.2", "1"),
    quote=field(QUOTE),
    occurrence=field("1", "2"),
    statement=field("More drug efflux can make tumours resistant."),
    citations=field("ahmad2019", "Akagi et al., 2015"),
    drugs=field("cisplatin", "doxorubicin; paclitaxel"),
    cargo=field("ABCB1", "miR-21"),
    cargo_intervention=field(*v.CargoIntervention.values),
    targets=field("PTEN"),
    donor_cell_lines=field("MCF-7"),
    recipient_cell_lines=field("MCF-7"),
    studied_cell_lines=field("4T1"),
    exosome_source=field("serum"),
    mechanism=field("apoptosis-inhibition", "drug-efflux"),
    therapy_class=field(*v.TherapyClass.values),
    direction=field(*v.Direction.values),
    model=field(*v.ModelSystem.values),
    citation_support=field(*v.CitationSupport.values),
    notes=field("checked"),
    version=field("1", "2"),
    form_token=field("0123456789abcdef0123456789abcdef"),
    not_duplicate=field("on"),
    action=field("save", "preview", "edit"),
    edit_summary=field("fixed a typo"),
)


@BOUNDED
@given(data=CLAIM_FORM)
def test_the_new_claim_form_never_gives_a_5xx(curator_client, data):
    post(curator_client, "/claims/new/", data, "curator")


@BOUNDED
@given(data=CLAIM_FORM)
def test_the_claim_edit_form_never_gives_a_5xx(curator_client, data):
    post(curator_client, "/claims/CLM-0002/edit/", data, "curator")


@BOUNDED
@given(data=form(kind=field(*v.FlagKind.values), text=field("The dose is wrong.")))
def test_the_flag_form_never_gives_a_5xx(reader_client, data):
    post(reader_client, "/claims/CLM-0003/flag/", data, "reader")


@BOUNDED
@given(
    data=form(
        to_status=field(*v.CurationStatus.values),
        reason=field("The quote says otherwise."),
        version=field("1", "2", "3"),
        next=field("/claims/", "https://evil.example/", "//evil.example"),
    )
)
def test_the_workflow_transition_form_never_gives_a_5xx(editor_client, data):
    post(editor_client, "/claims/CLM-0004/transition/", data, "editor")


@BOUNDED
@given(data=form(resolution=field("Fixed."), next=field("/claims/")), pick=st.integers(0, 5))
def test_the_flag_resolution_form_never_gives_a_5xx(editor_client, data, pick):
    flag = Flag.objects.order_by("pk")[pick]
    post(editor_client, f"/flags/{flag.pk}/resolve/", data, "editor")


@BOUNDED
@given(data=form(version=field("1", "2", "3")), pick=st.integers(0, 3))
def test_the_restore_form_never_gives_a_5xx(curator_client, data, pick):
    claim = Claim.objects.get(public_id="CLM-0005")
    revision = claim.history.order_by("history_id")[pick % claim.history.count()]
    post(curator_client, f"/claims/CLM-0005/history/{revision.history_id}/restore/", data, "curator")


ENTITY_FIELDS = {
    "name": field("Fuzzomycin"),
    "slug": field("fuzzomycin"),
    "aliases": field('["Fuzz"]', "[]", "{}", "[1, null]"),
    "misprints": field("[]", '["Fuzomycin"]'),
    "notes": field(""),
}
ENTITY_FORMS = {
    "drug": form(**ENTITY_FIELDS, drug_class=field(""), chebi=field("CHEBI:1"), drugbank=field("DB00001")),
    "cargo": form(**ENTITY_FIELDS, cargo_type=field(*v.CargoType.values), mirbase=field("MIMAT0000076")),
    "target": form(**ENTITY_FIELDS, target_type=field(*v.TargetType.values), hgnc=field("HGNC:1")),
    "cellline": form(
        **ENTITY_FIELDS,
        species=field(*v.Species.values),
        subtype=field(*v.Subtype.values),
        parent=field("1", "2"),
        cellosaurus=field("CVCL_0031"),
    ),
    "mechanism": form(**ENTITY_FIELDS, parent=field("1"), description=field("How it works.")),
    "citation": form(
        key=field("fuzz2020"),
        label=field("Fuzz et al., 2020"),
        first_author=field("Fuzz"),
        year=field("2020", "1899"),
        year_suffix=field("a"),
        entry_type=field(*v.EntryType.values),
        title=field("On fuzzing"),
        doi=field("10.1000/xyz"),
        pmid=field("123"),
        pmcid=field("PMC1"),
        authors=field("[]"),
        candidates=field("[]"),
        bibtex_fields=field("{}"),
        checked=field("on"),
    ),
}


@pytest.mark.parametrize("model", ENTITY_FORMS)
def test_the_admins_entity_and_citation_forms_never_give_a_5xx(editor_client, model):
    @BOUNDED
    @given(data=ENTITY_FORMS[model], change=st.booleans())
    def check(data, change):
        path = f"/admin/claims/{model}/1/change/" if change else f"/admin/claims/{model}/add/"
        post(editor_client, path, data, "editor")

    check()


BIBTEX = st.one_of(
    TEXT,
    st.builds(
        "@{}{{{},\n  author = {{{}}},\n  title = {{{}}},\n  year = {{{}}}\n}}\n".format,
        st.sampled_from(["article", "artcle", " article", "misc", ""]),
        TEXT,
        TEXT,
        TEXT,
        st.one_of(st.integers().map(str), TEXT),
    ),
)


@BOUNDED
@given(text=BIBTEX, confirm=st.booleans(), digest=HOSTILE)
def test_the_bibtex_upload_never_gives_a_5xx(curator_client, text, confirm, digest):
    cache.clear()
    curator_client.raise_request_exception = False
    data = text.encode("utf-8", "surrogatepass")
    response = curator_client.post("/curate/bibtex/", {"file": SimpleUploadedFile("fuzz.bib", data)})
    _check(response, method="POST", path="/curate/bibtex/", persona="curator", body=text)
    if confirm:
        post(curator_client, "/curate/bibtex/", {"confirm": "1", "digest": digest}, "curator")


@BOUNDED
@given(data=form(username=field("curator"), password=field("wrong"), next=field("/claims/", "//evil")))
def test_the_sign_in_form_never_gives_a_5xx(data):
    post(Client(), "/accounts/login/", data, "anonymous")


SEARCHES = {
    "/claims/": form(q=field("exosome", "the"), ordering=field("statement", "-public_id")),
    "/citations/": form(q=field("cisplatin"), year=field("2019")),
    "/review/": form(claim=field("CLM-0001"), section=field("3.1")),
    "/claims/new/": form(section=field("3.1"), quote=field(QUOTE), start=field("0", "1000")),
    "/curate/autocomplete/drug/": form(q=field("cis")),
    "/curate/autocomplete/cell-line/": form(q=field("MCF")),
}


@pytest.mark.parametrize("path", SEARCHES)
def test_searches_never_give_a_5xx(curator_client, path):
    @BOUNDED
    @given(params=SEARCHES[path])
    def check(params):
        get(curator_client, path, params, "curator")

    check()
