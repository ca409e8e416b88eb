"""The curated citations: every label resolved or explained, every identifier backed by a record,
every cited claim checked against its paper, and the README's counts equal to the data."""

import re
import shutil
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from claims import vocabulary as v
from claims.dataops.review_fixtures import FIXTURES_DIR
from claims.models import Citation, CitationCheck, Claim, Flag

pytestmark = pytest.mark.django_db
README = FIXTURES_DIR.parent / "README.md"
DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def test_every_identifier_is_well_formed():
    for citation in Citation.objects.all():
        assert not citation.doi or DOI.match(citation.doi), citation.key
        assert not citation.pmid or re.fullmatch(r"[1-9]\d{0,8}", citation.pmid), citation.key
        assert not citation.pmcid or re.fullmatch(r"PMC\d+", citation.pmcid), citation.key


def test_every_identifier_keeps_the_address_of_the_record_that_showed_it_and_the_date():
    for citation in Citation.objects.exclude(doi="", pmid=""):
        assert citation.evidence, citation.key
        assert all(re.match(r"^https?://\S+$", url) for url in citation.evidence), citation.key
        assert citation.checked is not None, citation.key


def test_every_citation_is_resolved_or_says_why_not():
    for citation in Citation.objects.all():
        assert citation.resolution != v.CitationResolution.UNCHECKED, citation.key
        if citation.resolution == v.CitationResolution.RESOLVED:
            # The paper is identified on a record that gives it a DOI, a PMID or a PMCID.
            assert citation.doi or citation.pmid or citation.pmcid, (
                f"{citation.key} is resolved without an identifier"
            )
            # A record may show the identifiers with the title or the authors only.
            assert citation.title or citation.author_names, citation.key
            if not citation.author_names:
                assert citation.resolution_note.strip(), citation.key
        else:
            assert citation.resolution_note.strip(), citation.key


def test_every_cited_claim_has_one_verdict_per_cited_paper():
    pairs = set(Claim.citations.through.objects.values_list("claim_id", "citation_id"))
    checked = set(CitationCheck.objects.values_list("claim_id", "citation_id"))
    assert pairs == checked


def test_a_verdict_other_than_not_checked_names_the_record_and_level_checked():
    for check in CitationCheck.objects.exclude(support=v.CitationSupport.NOT_CHECKED):
        assert re.fullmatch(r"PMID:[1-9]\d*|DOI:10\.\d{4,9}/\S+|https?://\S+", check.record), check
        assert check.level == v.CheckLevel.ABSTRACT
        assert check.note.strip(), check


def test_a_claim_summary_follows_its_per_paper_verdicts():
    for claim in Claim.objects.prefetch_related("citation_checks").exclude(citations=None):
        verdicts = {c.support for c in claim.citation_checks.all()}
        if verdicts == {v.CitationSupport.NOT_CHECKED}:
            assert claim.citation_support == v.CitationSupport.NOT_CHECKED, claim
        else:
            assert claim.citation_support != v.CitationSupport.NOT_CHECKED, claim


def test_every_misattributed_or_contradicted_verdict_opens_a_flag():
    for check in CitationCheck.objects.flagged().select_related("claim", "citation"):
        texts = Flag.objects.filter(claim=check.claim, kind=v.FlagKind.MISATTRIBUTED).values_list(
            "text", flat=True
        )
        assert any(text.startswith(check.citation.label) for text in texts), check


def test_a_claim_citing_an_ambiguous_label_is_flagged_with_the_doubt():
    for citation in Citation.objects.filter(resolution=v.CitationResolution.AMBIGUOUS):
        for claim in citation.claims.all():
            assert claim.flags.filter(
                kind=v.FlagKind.AMBIGUOUS_CITATION, text__startswith=citation.label
            ).exists()


def _readme_counts():
    """The 'Citations' table of the README: | what | count |."""
    section = (
        README.read_text(encoding="utf-8").split("### Citations and their checks", 1)[1].split("\n#", 1)[0]
    )
    return {
        m[1].strip(): int(m[2].replace(",", ""))
        for m in re.finditer(r"^\| ([^|]+) \| ([\d,]+) \|$", section, re.M)
    }


def test_the_readme_states_the_counts_the_data_has():
    stated = _readme_counts()
    resolution = Counter(Citation.objects.values_list("resolution", flat=True))
    support = Counter(CitationCheck.objects.values_list("support", flat=True))
    actual = {
        "citations": Citation.objects.count(),
        "resolved to their paper": resolution[v.CitationResolution.RESOLVED],
        "ambiguous (candidates listed)": resolution[v.CitationResolution.AMBIGUOUS],
        "not found (searches noted)": resolution[v.CitationResolution.UNRESOLVED],
        "with a DOI or PMID seen in a record": Citation.objects.exclude(doi="", pmid="").count(),
        "claim-paper checks": CitationCheck.objects.count(),
        **{f"checks: {v.CitationSupport(k).label}": n for k, n in support.items()},
    }
    assert stated == actual


@pytest.fixture
def fixtures_copy(tmp_path):
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, copy)
    return copy


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_doi_without_the_record_that_showed_it_is_refused(fixtures_copy):
    """guo2021 is unresolved and has no evidence; giving it a DOI alone must be refused."""
    _edit(
        fixtures_copy / "citations.yaml",
        "  label: Guo et al., 2021\n",
        "  label: Guo et al., 2021\n  doi: 10.1000/xyz\n",
    )
    with pytest.raises(CommandError, match="key=guo2021: a DOI or PMID needs the address of the record"):
        call_command("load_review", fixtures=fixtures_copy)


def test_a_malformed_pmid_is_refused_with_its_citation_named(fixtures_copy):
    _edit(
        fixtures_copy / "citations.yaml", "  label: Ahmad, 2019\n", "  label: Ahmad, 2019\n  pmid: PMID123\n"
    )
    with pytest.raises(CommandError, match="key=ahmad2019: pmid 'PMID123' is not of the form"):
        call_command("load_review", fixtures=fixtures_copy)


def test_a_verdict_on_a_paper_the_claim_does_not_cite_is_refused(fixtures_copy):
    path = fixtures_copy / "citation_checks.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "- claim: CLM-0001\n  citation: zuo2021\n  support: supported\n  record: PMID:1\n  note: x\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="CLM-0001/zuo2021: claim 'CLM-0001' does not cite 'zuo2021'"):
        call_command("load_review", fixtures=fixtures_copy)


def test_a_verdict_without_its_record_is_refused(fixtures_copy):
    path = fixtures_copy / "citation_checks.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  record: ", "  record: nowhere ", 1), encoding="utf-8"
    )
    with pytest.raises(CommandError, match="record 'nowhere .*' must be PMID:<digits>, DOI:10"):
        call_command("load_review", fixtures=fixtures_copy)
