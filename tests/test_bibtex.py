"""BibTeX import and export: commands, the curators' upload page, and round-trip properties."""

import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import bibtexparser
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from claims import vocabulary as v
from claims.management.commands.import_bibtex import Command as ImportBibtex
from claims.models import Citation, Claim
from claims.review_text import citation_key, parse_label
from claims.services.bibtex import (
    BibtexRefused,
    bibtex_import,
    citation_to_bibtex,
    citations_of_claims,
    citations_to_bibtex,
)
from claims.services.bibtex.latex import clean_text, latex_to_text, text_to_latex
from claims.services.bibtex.parse import KNOWN_TYPES, STANDARD_TYPES, Person, join_persons, parse_bibtex
from claims.services.bibtex.values import COLUMNS, file_values, key_stem

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data" / "bibtex"
REVIEW_FILE = DATA / "review_references.bib"
# Entry key in review_references.bib -> the review's citation it must enrich.
ENRICHES = {
    "Ning2017": "ning2017",
    "ebctcg": "ebctcg2011",
    "ONeill19": "oneill2019",
    "luk2021": "lukasiewicz2021",
    "barroso": "barrososousa2020",
    "alarcon": "alarcon2015",
    "bigagli": "bigagli2019",
    "wangFirst": "wang2019a",
    "wangSecond": "wang2019b",
    "lvLater": "lv2014b",
    "Chen2018a": "chen2018a",
}
NEW_ENTRIES = {"tester2020proc", "tester2020talk", "zztest2005"}
ODD_DOI = "10.5555/(SICI)0000-0000(19990101)85:1<1::AID-TEST1>3.0.CO;2-#"


def blank_stubs():
    Citation.objects.filter(key__in=ENRICHES.values()).update(
        title="",
        authors="",
        author_names=[],
        journal="",
        journal_abbrev="",
        volume="",
        issue="",
        pages="",
        doi="",
        pmid="",
        pmcid="",
        entry_type="",
        bibtex_fields={},
        raw_bibtex="",
    )


@pytest.fixture
def stubs(db):
    """The citations the test file matches start as the stubs the review's labels make."""
    blank_stubs()


def import_file(path, *args):
    out = StringIO()
    call_command("import_bibtex", str(path), *args, stdout=out)
    return out.getvalue()


def write_bib(tmp_path, text, name="test.bib"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def table_state():
    return list(Citation.objects.order_by("pk").values()), Citation.history.count()


def entry(key, surname, year, *, title="Fabricated record", extra=""):
    return f"@article{{{key},\n  author = {{{surname}, Test}},\n  title = {{{title}}},\n  year = {{{year}}}{extra}\n}}\n"


# Import of valid, tricky BibTeX


def test_importing_the_reviews_references_enriches_its_stubs_instead_of_duplicating(stubs):
    before = Citation.objects.count()
    output = import_file(REVIEW_FILE)
    assert Citation.objects.count() == before + len(NEW_ENTRIES)
    for entry_key, key in ENRICHES.items():
        citation = Citation.objects.get(key=key)
        assert citation.title.startswith("Fabricated record"), (entry_key, key)
        assert f"{entry_key} → {key}" in output
    assert Citation.objects.filter(title__startswith="Fabricated record: exosomal").get().key == "ning2017"
    assert "11 enriched" in output and "3 new" in output and "0 conflicting" in output


def test_latex_is_decoded_and_protected_words_kept(stubs):
    import_file(REVIEW_FILE)
    ning = Citation.objects.get(key="ning2017")
    assert ning.title == "Fabricated record: exosomal miR-21 in HER2-positive cells"
    luk = Citation.objects.get(key="lukasiewicz2021")
    assert luk.authors == "Łukasiewicz, Sam and Müller, Jörg and others"
    assert luk.title == "Fabricated record on Östrogen & friends: 50% less"
    assert Citation.objects.get(key="alarcon2015").authors == "Alarcón, Carla"


def test_string_and_month_macros_are_expanded(stubs):
    import_file(REVIEW_FILE)
    ning = Citation.objects.get(key="ning2017")
    assert ning.journal == "Journal of Fabricated Test Results X"
    assert ning.bibtex_fields["month"] == 3 and ning.pages == "100–110" and ning.volume == "12"
    assert (
        Citation.objects.get(key="lukasiewicz2021").journal == "Fabricated Journal of Fabricated Test Results"
    )


def test_a_crossref_entry_inherits_the_fields_it_lacks(stubs):
    import_file(REVIEW_FILE)
    talk = Citation.objects.get(title="Fabricated talk that inherits from its proceedings")
    assert talk.year == 2020 and talk.entry_type == "inproceedings"
    assert talk.journal == "Proceedings of the Fabricated Workshop"
    assert talk.bibtex_fields["publisher"] == "Test Press" and "crossref" not in talk.bibtex_fields
    assert "crossref = {tester2020proc}" in talk.raw_bibtex
    assert {talk.key, talk.label} == {"tester2020b", "Tester and Example, 2020b"}


def test_a_consortium_matches_the_label_that_names_its_acronym(stubs):
    import_file(REVIEW_FILE)
    group = Citation.objects.get(key="ebctcg2011")
    assert group.authors == "{Early Breast Cancer Trialists' Collaborative Group}"
    assert (
        group.first_author == "Early Breast Cancer Trialists’ Collaborative Group EBCTCG"
    )  # the label stays


def test_a_doi_with_odd_characters_is_kept_verbatim(stubs):
    import_file(REVIEW_FILE)
    citation = Citation.objects.get(doi=ODD_DOI)
    assert citation.key == "zztest2005" and citation.label == "Zztest, 2005"
    assert citation.title == "Fabricated record with an odd DOI"


def test_the_raw_entry_and_every_field_are_kept(stubs):
    import_file(REVIEW_FILE)
    ning = Citation.objects.get(key="ning2017")
    assert ning.raw_bibtex.startswith("@article{Ning2017,") and "journal = jtestx," in ning.raw_bibtex
    assert set(ning.bibtex_fields) == {
        "author",
        "title",
        "journal",
        "year",
        "month",
        "volume",
        "pages",
        "ENTRYTYPE",
    }


def test_suffixes_come_from_the_year_field_the_key_or_the_order_in_the_file(stubs):
    untouched = Citation.objects.filter(key__in=["lv2014a", "chen2018b"]).order_by("key")
    before = list(untouched.values())
    output = import_file(REVIEW_FILE)
    assert Citation.objects.get(key="wang2019a").title == "Fabricated record, first of two"
    assert Citation.objects.get(key="wang2019b").title == "Fabricated record, second of two"
    assert "by first author, year and order in the file" in output
    assert Citation.objects.get(key="lv2014b").title.endswith("in the year field")
    assert Citation.objects.get(key="chen2018a").title.endswith("in its key")
    # The other member of each suffixed pair matches no entry in the file, so the import leaves it as it was.
    assert len(before) == 2 and list(untouched.values()) == before


def test_history_records_the_importing_user(stubs, curator):
    import_file(REVIEW_FILE, "--user", curator.username)
    record = Citation.objects.get(key="ning2017").history.first()
    assert record.history_user == curator and record.history_change_reason == "BibTeX import"
    assert Citation.objects.get(key="zztest2005").history.get().history_user == curator


def test_a_dry_run_reports_and_writes_nothing(stubs):
    before = table_state()
    output = import_file(REVIEW_FILE, "--dry-run")
    assert "3 new, 11 enriched" in output and "dry run, nothing written" in output
    assert table_state() == before


def test_importing_the_same_file_again_changes_nothing(stubs):
    import_file(REVIEW_FILE)
    before = table_state()
    output = import_file(REVIEW_FILE, "--verbosity", "2")
    assert "0 new, 0 enriched, 14 unchanged, 0 conflicting" in output
    assert "unchanged   line 8, Ning2017 → ning2017 (Ning et al., 2017)" in output
    assert table_state() == before


def test_the_report_lists_citations_backing_no_claim_and_unmatched_stubs(stubs):
    report = bibtex_import(data=REVIEW_FILE.read_bytes(), dry_run=True)
    new_keys = {r.key for r in report.new}
    expected_unused = (
        set(Citation.objects.filter(claims__isnull=True).values_list("key", flat=True)) | new_keys
    )
    assert set(report.unused) == expected_unused and len(new_keys) == len(NEW_ENTRIES)
    expected_stubs = set(Citation.objects.stubs().values_list("key", flat=True)) - set(ENRICHES.values())
    assert set(report.unmatched_stubs) == expected_stubs


# Refusals: nothing is written


@pytest.mark.parametrize(
    "name, line, key, message",
    [
        ("syntax_error.bib", 7, "broken2002", "syntax error"),
        ("duplicate_key.bib", 7, "twice2001", "duplicate key 'twice2001' (first used on line 1)"),
        ("undefined_macro.bib", 3, "macro2001", "macro 'unknownjournal' is not defined"),
        ("missing_crossref.bib", 1, "orphan2001", "crossref 'nowhere2001' names no entry"),
        ("bad_values.bib", 1, "inpress", "year 'in press' is not a year"),
        ("bad_values.bib", 7, "notadoi2001", "is not a DOI"),
        ("latin1.bib", 2, "latin2001", "byte 0xE9 is not valid UTF-8"),
    ],
)
def test_an_invalid_file_is_refused_with_line_and_key_and_nothing_is_written(name, line, key, message):
    before = table_state()
    with pytest.raises(CommandError) as error:
        import_file(DATA / name)
    assert f"line {line}, entry {key}: " in str(error.value) and message in str(error.value)
    assert "nothing was written" in str(error.value)
    assert table_state() == before
    assert not Citation.objects.filter(title__startswith="Fabricated record that is well formed").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        (entry("a2001", "Aa", 2001) + entry("A2001", "Bb", 2001), "line 6, entry A2001: duplicate key"),
        (entry("nul2001", "Nul", 2001, title="x\x00y"), "line 3: control character U+0000"),
        ("article{nokey, title = {x}}\n", "line 1: text outside any entry looks like part of one"),
        (entry("bad2001", "Bad", 2001, extra=",\n  Title = {again}"), "field 'title' is given twice"),
        (entry("far2001", "Far", 1492), "year 1492 is outside 1800–2100"),
        (entry("pm2001", "Pm", 2001, extra=",\n  pmid = {PMC123}"), "pmid 'PMC123' is not a PubMed id"),
        (
            entry("d1", "Dd", 2001, extra=",\n  doi = {10.5555/x}")
            + entry("d2", "Ee", 2002, extra=",\n  doi = {10.5555/X}"),
            "DOI 10.5555/X is also on entry d1",
        ),
    ],
)
def test_other_bad_input_is_refused_with_a_clear_message(tmp_path, text, message):
    before = table_state()
    with pytest.raises(CommandError, match=re.escape(message)):
        import_file(write_bib(tmp_path, text))
    assert table_state() == before


def test_size_and_entry_limits_are_enforced(settings, tmp_path):
    path = write_bib(tmp_path, "".join(entry(f"k{n}", "Limit", 1900 + n) for n in range(3)))
    settings.BIBTEX_MAX_ENTRIES = 2
    with pytest.raises(CommandError, match="the file has 3 entries; the limit is 2 per import"):
        import_file(path)
    settings.BIBTEX_MAX_BYTES = 100
    with pytest.raises(CommandError, match=r"the file is [\d,]+ bytes; the limit is 100 bytes"):
        import_file(path)


# Conflicts


def test_same_label_with_a_different_doi_is_a_conflict_and_is_not_written(stubs):
    Citation.objects.filter(key="ning2017").update(doi="10.5555/stored")
    before = table_state()
    text = entry("n", "Ning", 2017, extra=",\n  doi = {10.5555/other}").encode()
    report = bibtex_import(data=text)
    [result] = report.conflicting
    assert (
        "different DOI (stored 10.5555/stored, file 10.5555/other)" in result.reason
        and result.key == "ning2017"
    )
    assert table_state() == before


def test_an_entry_that_could_be_several_citations_is_ambiguous(stubs):
    [result] = bibtex_import(data=entry("w", "Wang", 2019).encode()).conflicting
    assert (
        result.reason.startswith("ambiguous: Wang 2019 could be wang2019a") and "wang2019b" in result.reason
    )


def test_two_entries_matching_one_citation_are_both_conflicts(stubs):
    text = entry("n1", "Ning", 2017) + entry("n2", "Ning", 2017, title="Other")
    report = bibtex_import(data=text.encode())
    assert [r.entry_key for r in report.conflicting] == ["n1", "n2"]
    assert "also matched by n2 (line 6)" in report.conflicting[0].reason


def test_a_file_disagreeing_with_a_stored_value_is_a_conflict_and_the_rest_is_written(stubs):
    Citation.objects.filter(key="ning2017").update(title="Curated title")
    text = entry("n", "Ning", 2017, title="File title") + entry("z", "Zzfresh", 1999)
    report = bibtex_import(data=text.encode())
    assert "title is 'Curated title', the file says 'File title'" in report.conflicting[0].reason
    assert Citation.objects.get(key="ning2017").title == "Curated title"
    assert [r.key for r in report.new] == ["zzfresh1999"] and Citation.objects.filter(
        key="zzfresh1999"
    ).exists()


def test_a_doi_match_naming_another_first_author_is_a_conflict(stubs):
    Citation.objects.filter(key="ning2017").update(doi="10.5555/ning")
    text = entry("x", "Somebody", 2017, extra=",\n  doi = {10.5555/NING}")
    [result] = bibtex_import(data=text.encode()).conflicting
    assert result.matched_by == "DOI" and "first author differs (stored Ning, file Somebody)" in result.reason


# Export


def export(*args):
    out = StringIO()
    call_command("export_bibtex", *args, stdout=out)
    return out.getvalue()


def entry_keys(text):
    return re.findall(r"^@\w+\{([^,]+),$", text, flags=re.MULTILINE)


def test_export_writes_every_citation_once_and_stubs_as_misc_with_a_note():
    text = export()
    assert entry_keys(text) == sorted(Citation.objects.values_list("key", flat=True))
    stubs = Citation.objects.stubs().filter(authors="", bibtex_fields={})
    assert stubs.exists()
    for stub in stubs:
        block = text[text.index(f"@misc{{{stub.key},") :].split("\n}\n")[0]
        assert f"year = {{{stub.year}}}" in block and "ExoClaims citation stub" in block


def test_export_can_write_to_a_file_one_claims_citations_or_a_filtered_sets(tmp_path):
    call_command("export_bibtex", "--output", str(tmp_path / "all.bib"), stderr=StringIO())
    assert (tmp_path / "all.bib").read_text(encoding="utf-8") == export()
    claim = Claim.objects.filter(citations__isnull=False).order_by("public_id").first()
    assert entry_keys(export("--claim", claim.public_id)) == sorted(c.key for c in claim.citations.all())
    expected = Citation.objects.filter(claims__drugs__slug="doxorubicin").distinct().order_by("key")
    assert entry_keys(export("--filter", "drug=doxorubicin")) == [c.key for c in expected] != []
    with pytest.raises(CommandError, match="No drug is named 'no-such-drug'"):
        export("--filter", "drug=no-such-drug")
    with pytest.raises(CommandError, match="no claim has the id 'CLM-NOPE'"):
        export("--claim", "CLM-NOPE")


def test_exported_citations_parse_back_to_the_same_fields(stubs):
    import_file(REVIEW_FILE)
    citations = list(Citation.objects.order_by("key"))
    values, problems = file_values(
        parse_bibtex(citations_to_bibtex(citations).encode(), max_bytes=10**8, max_entries=10**5)
    )
    assert problems == []
    for citation, item in zip(citations, values, strict=True):
        assert item.key == citation.key and item.year == citation.year
        if not citation.is_stub or citation.authors or citation.bibtex_fields:
            assert {c: item.columns[c] for c in COLUMNS} == {c: getattr(citation, c) for c in COLUMNS}
        else:
            assert item.stub_label == citation.label


def test_importing_an_export_changes_nothing(stubs):
    import_file(REVIEW_FILE)
    before = table_state()
    report = bibtex_import(data=export().encode())
    assert report.counts == {"new": 0, "enriched": 0, "unchanged": Citation.objects.count(), "conflicting": 0}
    assert table_state() == before


def test_bibtex_processes_a_document_citing_every_key_without_errors(stubs, tmp_path):
    bibtex = shutil.which("bibtex")
    assert bibtex, "bibtex(1) is missing: install Debian's texlive-binaries (make test does it)"
    import_file(REVIEW_FILE)
    keys = list(Citation.objects.order_by("key").values_list("key", flat=True))
    (tmp_path / "refs.bib").write_text(export(), encoding="utf-8")
    aux = "".join(f"\\citation{{{key}}}\n" for key in keys) + "\\bibstyle{plain}\n\\bibdata{refs}\n"
    (tmp_path / "doc.aux").write_text(aux, encoding="utf-8")
    run = subprocess.run([bibtex, "doc"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = run.stdout + (tmp_path / "doc.blg").read_text()
    assert run.returncode == 0 and "error message" not in log, log
    assert sorted(re.findall(r"\\bibitem\{([^}]+)\}", (tmp_path / "doc.bbl").read_text())) == sorted(keys)


def test_citations_of_claims_selects_each_citation_once():
    claims = Claim.objects.filter(drugs__slug="doxorubicin")
    expected = sorted({c.key for claim in claims for c in claim.citations.all()})
    assert [c.key for c in citations_of_claims(claims)] == expected


# Query budgets


def test_export_reads_the_citations_in_one_query_whatever_their_number(stubs, django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(1):
            citations_to_bibtex(Citation.objects.order_by("key"))
        import_file(REVIEW_FILE)  # 3 more citations, 11 richer ones


def test_an_import_runs_a_fixed_number_of_queries_whatever_the_files_size(
    stubs, django_assert_num_queries, tmp_path
):
    small = write_bib(tmp_path, entry("Ning2017", "Ning", 2017) + entry("zq", "Zzsmall", 1990), "small.bib")
    original = set(Citation.objects.values_list("key", flat=True))
    for path in (small, REVIEW_FILE):  # 1 new + 1 enriched, then 3 new + 11 enriched
        # savepoint, citations with claim counts, release
        with django_assert_num_queries(3):
            bibtex_import(data=path.read_bytes(), dry_run=True)
        # savepoint, citations, lock the enriched ones, insert the new + their history,
        # update the enriched + their history, release
        with django_assert_num_queries(8):
            report = bibtex_import(data=path.read_bytes())
        assert (
            report.counts["conflicting"] == 0 and report.counts["enriched"] > 0 and report.counts["new"] > 0
        )
        blank_stubs()
        Citation.objects.exclude(key__in=original).delete()


# The curators' upload page


def upload(client, path, **extra):
    with open(path, "rb") as handle:
        return client.post(reverse("claims:bibtex-upload"), {"file": handle, **extra})


def test_the_upload_page_is_for_curators_only(client, reader_client, curator_client):
    url = reverse("claims:bibtex-upload")
    assert url == "/curate/bibtex/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert reader_client.get(url).status_code == 403
    assert upload(reader_client, REVIEW_FILE).status_code == 403
    page = curator_client.get(url)
    assert page.status_code == 200 and b'type="file"' in page.content


def test_upload_previews_then_confirm_writes(stubs, curator_client, curator):
    before = table_state()
    preview = upload(curator_client, REVIEW_FILE)
    assert preview.status_code == 200 and table_state() == before
    html = preview.content.decode()
    assert "14 references in the file: 3 new, 11 gaining details." in html and "Import 14 citations" in html
    assert "wang2019b" in html and "same first author and year, in the order the review lists them" in html
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', html).group(1)
    done = curator_client.post(reverse("claims:bibtex-upload"), {"confirm": "1", "digest": digest})
    assert done.status_code == 200 and "Imported review_references.bib" in done.content.decode()
    assert Citation.objects.get(key="ning2017").history.first().history_user == curator
    again = curator_client.post(
        reverse("claims:bibtex-upload"), {"confirm": "1", "digest": digest}, follow=True
    )
    assert "expired or was already imported" in again.content.decode()
    assert Citation.history.count() == before[1] + 14


def test_a_confirmation_after_the_citations_changed_shows_the_new_plan_and_writes_nothing(
    stubs, curator_client
):
    preview = upload(curator_client, REVIEW_FILE)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', preview.content.decode()).group(1)
    Citation.objects.filter(key="ning2017").update(title="Meanwhile curated")
    before = table_state()
    response = curator_client.post(reverse("claims:bibtex-upload"), {"confirm": "1", "digest": digest})
    assert response.status_code == 409 and "changed since your preview" in response.content.decode()
    assert "1 needing your decision" in response.content.decode() and table_state() == before


def test_an_invalid_upload_shows_every_problem_and_writes_nothing(curator_client, settings):
    before = table_state()
    missing = curator_client.post(reverse("claims:bibtex-upload"), {})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    response = upload(curator_client, DATA / "bad_values.bib")
    html = response.content.decode()
    assert response.status_code == 400 and "nothing was written" in html
    assert "line 1, entry inpress: year" in html and "line 7, entry notadoi2001: doi" in html
    settings.BIBTEX_MAX_BYTES = 100
    too_big = upload(curator_client, REVIEW_FILE)
    size = f"{REVIEW_FILE.stat().st_size:,} bytes"
    assert (
        too_big.status_code == 400
        and f"the file is {size}; the limit is 100 bytes" in too_big.content.decode()
    )
    assert table_state() == before


def test_a_preview_runs_a_fixed_number_of_queries_whatever_the_files_size(
    stubs, curator_client, django_assert_num_queries, tmp_path
):
    small = write_bib(tmp_path, entry("Ning2017", "Ning", 2017), "small.bib")
    for path in (small, REVIEW_FILE):
        # session, user, user and group permissions; savepoint, citations, release (the dry run);
        # savepoint, session update, release (the file waits in the session)
        with django_assert_num_queries(10):
            assert upload(curator_client, path).status_code == 200


# Properties (hypothesis)

TEXT_CHARS = "abcxyzABCXYZ0189 .,;:!?'\"`-–—()[]<>/@*+=|\\{}$&%#_~^äöüéèçñßøåłŁØÆœıÖÉ“”‘’αβγµ°±€中文"
texts = st.text(alphabet=TEXT_CHARS, min_size=1, max_size=40).map(clean_text).filter(bool)
capitalized = st.tuples(st.sampled_from("ABCDÉÖŁØZ"), st.text(alphabet="abcéöüłø-'", max_size=8)).map("".join)
persons = st.one_of(
    st.builds(
        lambda last, first: Person(first=tuple(first), last=(last,)),
        capitalized,
        st.lists(capitalized, max_size=2),
    ),
    st.lists(capitalized, min_size=3, max_size=5).map(lambda words: Person(last=(" ".join(words),))),
)
author_lists = st.tuples(st.lists(persons, min_size=1, max_size=4), st.booleans()).map(
    lambda pair: join_persons(pair[0] + ([Person(last=("others",))] if pair[1] else []))
)
citations = st.builds(
    lambda n, title, authors, year, journal, volume, doi, month, note: Citation(
        key=f"prop{n}",
        label=f"Prop {n}, {year}",
        first_author="Prop",
        year=year,
        title=title,
        authors=authors,
        journal=journal,
        volume=volume,
        pages="1–9",
        doi=doi,
        entry_type="article",
        bibtex_fields={"month": month, "note": note} if note else {"month": month},
    ),
    st.integers(0, 10**6),
    texts,
    author_lists,
    st.integers(1800, 1899),
    texts | st.just(""),
    st.text(alphabet="0123456789ab-", max_size=10),
    st.just("") | st.from_regex(r"10\.5555/[A-Za-z0-9().;:<>#/_-]{1,20}", fullmatch=True),
    st.integers(1, 12),
    texts | st.just(""),
)


@given(texts)
def test_text_survives_latex_encoding_and_decoding(text):
    assert latex_to_text(text_to_latex(text)) == text
    assert latex_to_text(text_to_latex(text, protect_case=True)) == text


@given(citations)
def test_any_exported_citation_parses_back_to_the_same_fields(citation):
    [item] = file_values(
        parse_bibtex(citation_to_bibtex(citation).encode(), max_bytes=10**6, max_entries=10)
    )[0]
    assert {c: item.columns[c] for c in COLUMNS} == {c: getattr(citation, c) for c in COLUMNS}
    assert item.year == citation.year and item.fields["month"] == citation.bibtex_fields["month"]
    assert item.fields.get("note", "") == citation.bibtex_fields.get("note", "")


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(citations, min_size=1, max_size=4, unique_by=(lambda c: c.key, lambda c: c.doi.lower() or c.key))
)
def test_importing_what_was_imported_and_exported_changes_nothing(db, generated):
    with transaction.atomic():
        first = bibtex_import(data=citations_to_bibtex(generated).encode())
        keys = [r.key for r in first.new]
        assert first.counts["conflicting"] == 0 and len(keys) == len(generated)
        saved = list(Citation.objects.filter(key__in=keys).order_by("key"))
        before = table_state()
        again = bibtex_import(data=citations_to_bibtex(saved).encode())
        assert again.counts["unchanged"] == len(saved) and table_state() == before
        transaction.set_rollback(True)


def test_new_keys_follow_the_reviews_key_rule():
    """key_stem must agree with claims.review_text.citation_key on every label of the review."""
    for label in Citation.objects.values_list("label", flat=True):
        surname, year, suffix = parse_label(label)
        assert f"{key_stem(surname)}{year}{suffix}" == citation_key(label)


# The reconciler's second-author rule (issue 12)


def mao_and_jin():
    """The review's "Mao and Jin, 2019" as a stub (created when the transcription lacks it)."""
    citation, _ = Citation.objects.get_or_create(
        label="Mao and Jin, 2019", defaults={"key": "mao2019", "first_author": "Mao", "year": 2019}
    )
    Citation.objects.filter(pk=citation.pk).update(
        title="", authors="", author_names=[], doi="", bibtex_fields={}
    )
    return citation


def test_first_author_and_year_do_not_match_when_the_labels_second_author_disagrees(db):
    """Regression: "Mao and Jin, 2019" took an entry by "Mao, L. and Li, J." on first author and
    year alone, giving the review's citation another paper's record."""
    citation = mao_and_jin()
    before = table_state()
    bib = "@article{mao2019x,\n  author = {Mao, L. and Li, J.},\n  title = {Another paper},\n  year = {2019}\n}\n"
    report = bibtex_import(data=bib.encode(), dry_run=False)
    (result,) = report.results
    assert result.outcome == "conflicting" and "second author differs" in result.reason
    assert "Li" in result.reason and "Jin" in result.reason
    assert table_state()[0] == before[0]
    assert Citation.objects.get(pk=citation.pk).title == ""


def test_the_same_first_author_and_year_with_the_labels_second_author_still_match(db):
    citation = mao_and_jin()
    bib = "@article{anykey,\n  author = {Mao, Lin and Jin, Kai},\n  title = {The cited paper},\n  year = {2019}\n}\n"
    (result,) = bibtex_import(data=bib.encode()).results
    assert result.outcome == "enriched" and result.citation.pk == citation.pk
    assert Citation.objects.get(pk=citation.pk).title == "The cited paper"


def test_a_structured_author_list_names_the_second_author_too(db):
    citation = Citation.objects.create(
        key="quux2018",
        label="Quux et al., 2018",
        first_author="Quux",
        year=2018,
        author_names=[{"family": "Quux", "given": "A"}, {"family": "Zed", "given": "B"}],
    )
    bib = "@article{q,\n  author = {Quux, A. and Other, C. and Third, D.},\n  title = {Not it},\n  year = {2018}\n}\n"
    (result,) = bibtex_import(data=bib.encode(), dry_run=True).results
    assert result.outcome == "conflicting" and citation.key in result.reason


def test_exported_entries_carry_issue_pmcid_and_journal_abbreviation(db):
    citation = Citation.objects.create(
        key="full2020",
        label="Full et al., 2020",
        first_author="Full",
        year=2020,
        entry_type="article",
        author_names=[{"family": "Full", "given": "Ann"}, {"family": "Second", "given": "Bo"}],
        title="A record",
        journal="Journal of Records",
        journal_abbrev="J Rec",
        volume="3",
        issue="2",
        pages="5-9",
        doi="10.5555/full.2020",
        pmid="30000001",
        pmcid="PMC7000001",
    )
    (entry,) = bibtexparser.parse_string(citation_to_bibtex(citation)).entries
    assert entry["author"] == "Full, Ann and Second, Bo" and entry["number"] == "2"
    assert entry["pmcid"] == "PMC7000001" and entry["shortjournal"] == "J Rec" and entry["pmid"] == "30000001"


@pytest.mark.parametrize("entry_type", sorted(KNOWN_TYPES))
def test_an_entry_of_any_type_the_import_accepts_is_exported_as_a_type_it_accepts(tmp_path, entry_type):
    """The import and the export read one list of entry types: a standard one is kept, biblatex's
    become the type they map to, and the export imports back."""
    import_file(write_bib(tmp_path, entry("free2001", "Free", 2001).replace("@article", f"@{entry_type}")))
    exported = citations_to_bibtex(Citation.objects.filter(key="free2001"))
    assert exported.startswith(f"@{entry_type if entry_type in STANDARD_TYPES else 'misc'}{{free2001,")
    assert "1 entries: 0 new" in import_file(write_bib(tmp_path, exported, name="exported.bib"))


@pytest.mark.parametrize("entry_type", v.EntryType.values)
def test_a_citation_of_any_entry_type_exports_to_an_entry_the_import_accepts(tmp_path, entry_type):
    """Without an imported entry behind it, a citation is exported with its entry_type column as the type."""
    citation = Citation.objects.create(
        key="kind2001",
        label="Kind, 2001",
        first_author="Kind",
        year=2001,
        authors="Kind, Test",
        title="Fabricated record",
        entry_type=entry_type,
    )
    exported = citations_to_bibtex([citation])
    assert "1 entries: 0 new" in import_file(write_bib(tmp_path, exported))


# Issue 18, items 11 and 12: BibTeX that BibTeX accepts, and re-imports without a Latin surname

NON_LATIN = (
    "@article{zhang2099,\n  author = {张伟 and 李娜},\n  title = {外泌体与耐药},\n  year = {2099}\n}\n"
    "@article{ivanov2099,\n  author = {{Иванов}, Пётр},\n  title = {Экзосомы и химиорезистентность},\n"
    "  year = {2099}\n}\n"
)


def test_reimporting_entries_whose_first_author_has_no_latin_surname_changes_nothing(tmp_path):
    """Regression (issue 18.11): entries without a DOI and without a Latin surname were added again on
    every import (anon2099, then anon2099a, anon2099b…); they are matched by their key and title."""
    path = write_bib(tmp_path, NON_LATIN)
    import_file(path)
    assert Citation.objects.filter(year=2099).count() == 2
    before = table_state()
    output = import_file(path)
    assert "2 entries: 0 new, 0 enriched, 2 unchanged, 0 conflicting" in output
    assert table_state() == before


def test_an_export_of_citations_without_a_latin_surname_imports_back_unchanged(tmp_path):
    """The export writes the citation's own key (anon2099…), which matches it as well."""
    import_file(write_bib(tmp_path, NON_LATIN))
    exported = citations_to_bibtex(Citation.objects.filter(year=2099).order_by("key"))
    before = table_state()
    assert "0 new" in import_file(write_bib(tmp_path, exported, name="exported.bib"))
    assert table_state() == before


@pytest.mark.parametrize(
    "text",
    [
        "Reading list {draft} -- see x = y; 50% {done}.\n" + entry("free2001", "Free", 2001),
        entry("free2001", "Free", 2001) + "\n} stray closing brace and a = sign\n",
        "@ article{free2001,\n  author = {Free, Test},\n  title = {Fabricated record},\n  year = {2001}\n}\n",
        "@\tARTICLE {free2001,\n  author = {Free, Test},\n  title = {Fabricated record},\n  year = {2001}\n}\n",
    ],
    ids=["braces-and-equals-before", "brace-and-equals-after", "space-after-at", "tab-after-at"],
)
def test_files_bibtex_itself_accepts_are_imported(tmp_path, text):
    """Regression (issue 18.12): free text with braces or '=' between entries, and blanks after
    the at-sign, were refused though BibTeX reads them."""
    output = import_file(write_bib(tmp_path, text))
    assert "1 entries: 1 new" in output
    assert Citation.objects.get(key="free2001").entry_type == "article"


def test_an_unknown_entry_type_is_refused_naming_its_line(tmp_path):
    """Regression (issue 18.12): @artcle was imported silently as misc."""
    before = table_state()
    text = entry("fine2001", "Fine", 2001) + entry("typo2001", "Typo", 2001).replace("@article", "@artcle")
    with pytest.raises(
        CommandError,
        match=re.escape("line 6, entry typo2001: @artcle is not a BibTeX entry type; did you mean @article?"),
    ):
        import_file(write_bib(tmp_path, text))
    assert table_state() == before


def test_an_entry_whose_type_starts_with_comment_is_refused_not_lost(tmp_path):
    """Regression: bibtexparser reads @commentary{…} (a biblatex type) as a comment, so the entry
    vanished from an import that reported success for the rest of the file."""
    before = table_state()
    text = (
        "@comment{a note}\n"
        + entry("fine2001", "Fine", 2001)
        + entry("note2001", "Note", 2001).replace("@article", "@commentary")
    )
    with pytest.raises(
        CommandError,
        match=re.escape("line 7, entry note2001: @commentary would be read as a comment and the entry lost"),
    ):
        import_file(write_bib(tmp_path, text))
    assert table_state() == before


@pytest.mark.parametrize(
    "text", ["", "\n\n", "% only a comment\nand some prose\n"], ids=["empty", "blank", "prose"]
)
def test_a_file_without_entries_is_refused_with_a_non_zero_exit(tmp_path, capsys, text):
    """Regression (issue 18.12): an empty file 'imported' 0 entries and exited 0 from import_bibtex."""
    path = write_bib(tmp_path, text)
    with pytest.raises(CommandError, match="no entries found"):
        import_file(path)
    # As from a shell: manage.py import_bibtex FILE exits non-zero with the message on stderr.
    with pytest.raises(SystemExit) as exit_:
        ImportBibtex().run_from_argv(["manage.py", "import_bibtex", str(path), "--dry-run"])
    assert exit_.value.code != 0
    assert "no entries found" in capsys.readouterr().err


def test_undecodable_latex_is_refused_naming_the_field_that_holds_it():
    """Each LaTeX problem names its own field, not whichever field the entry lists last."""
    data = b"@article{broken2020,\n  title = {\\input},\n  journal = {Fine Journal},\n  year = {2020}\n}\n"
    with pytest.raises(BibtexRefused) as refused:
        parse_bibtex(data, max_bytes=10_000, max_entries=10)
    message = "; ".join(str(problem) for problem in refused.value.problems)
    assert "field 'title': cannot decode" in message
    assert "field 'journal'" not in message
