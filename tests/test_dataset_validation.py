"""import_dataset holds a tampered backup to the services' rules: the whole file is refused, the row named.

Regression tests for issue #18 item 13: a 1 MB statement was restored although no door accepts
more than 20,000 characters, and a flag of a claim that is nowhere was silently dropped.
"""

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from claims.models import Citation, Claim, Drug, Flag
from claims.services.claim_fields import MAX_CLAIM_TEXT


@pytest.fixture
def document(db, tmp_path):
    path = tmp_path / "backup.json"
    call_command("export_dataset", output=str(path), stdout=io.StringIO())
    return json.loads(path.read_text())


def _new_claim(document, **changes):
    """A claim only the file has, copied from the first exported claim (which has citations)."""
    template = next(c for c in document["claims"] if c["citations"])
    record = dict(template, public_id="CLM-9999", statement="A claim only the file has.", history=[])
    record.update(changes)
    return record


def _other_section(document, record):
    doi, number = record["section"]
    return next(s for s in document["sections"] if s["source"] == doi and s["number"] != number)


def _refused(tmp_path, document, message):
    """Import ``document`` with --merge: it must be refused with ``message``, and nothing written."""
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(document))
    counts = (Claim.objects.count(), Flag.objects.count(), Citation.objects.count(), Drug.objects.count())
    users = User.objects.count()
    with pytest.raises(CommandError) as refusal:
        call_command("import_dataset", str(path), "--merge", stdout=io.StringIO())
    assert f"nothing was imported from {path}" in str(refusal.value)
    assert message in str(refusal.value)
    assert (
        Claim.objects.count(),
        Flag.objects.count(),
        Citation.objects.count(),
        Drug.objects.count(),
    ) == counts
    assert User.objects.count() == users
    return str(refusal.value)


def test_it_refuses_a_statement_over_the_services_limit(tmp_path, document):
    document["claims"].append(_new_claim(document, statement="x" * 1_000_000))
    _refused(tmp_path, document, f"(CLM-9999): statement: At most {MAX_CLAIM_TEXT} characters.")


def test_it_refuses_an_oversized_statement_in_a_past_version(tmp_path, document):
    record = _new_claim(document)
    record["history"] = [
        dict(document["claims"][0]["history"][0], public_id="CLM-9999", statement="x" * 20_001)
    ]
    document["claims"].append(record)
    _refused(tmp_path, document, f"(CLM-9999) history[0]: statement: At most {MAX_CLAIM_TEXT} characters.")


def test_it_refuses_a_choice_outside_the_vocabulary(tmp_path, document):
    document["claims"].append(_new_claim(document, citation_support="probably"))
    _refused(tmp_path, document, "(CLM-9999): citation_support: Value 'probably' is not a valid choice.")


def test_it_refuses_a_statement_that_copies_the_quote(tmp_path, document):
    record = _new_claim(document)
    record["statement"] = record["quote"]
    document["claims"].append(record)
    _refused(tmp_path, document, "(CLM-9999): statement: Write the statement in your own words")


def test_it_refuses_a_flag_whose_claim_is_nowhere_instead_of_dropping_it(tmp_path, document):
    flag = dict(document["flags"][0], claim="CLM-9998")
    document["flags"].append(flag)
    index = len(document["flags"]) - 1
    _refused(
        tmp_path,
        document,
        f"flags[{index}] (claim CLM-9998): claim: 'CLM-9998' is neither in the file nor in the database",
    )


def test_it_refuses_a_quote_that_is_in_the_review_but_not_in_its_section(tmp_path, document):
    record = _new_claim(document)
    section = _other_section(document, record)
    record["section"] = [section["source"], section["number"]]
    document["claims"].append(record)
    _refused(
        tmp_path,
        document,
        f"(CLM-9999): quote: The quote is not an exact span of the review in section {section['number']}",
    )


def test_it_refuses_a_quote_whose_context_does_not_match_its_offsets(tmp_path, document):
    document["claims"].append(_new_claim(document, quote_prefix="tampered "))
    _refused(tmp_path, document, "(CLM-9999): quote_prefix, quote_suffix: not the text around the quote")


def test_it_refuses_a_quote_moved_off_its_offsets_and_says_where_it_is(tmp_path, document):
    record = _new_claim(document)
    record.update(quote_start=record["quote_start"] + 1, quote_end=record["quote_end"] + 1)
    document["claims"].append(record)
    message = _refused(tmp_path, document, "(CLM-9999): the quote is not at characters")
    assert f"has it at {record['quote_start'] - 1}–{record['quote_end'] - 1}" in message


def test_it_refuses_an_entity_slug_no_door_accepts(tmp_path, document):
    drug = dict(document["drugs"][0], name="Tamperol", slug="Tamper_ol", aliases=[], misprints=[], history=[])
    document["drugs"].append(drug)
    _refused(tmp_path, document, "(Tamper_ol): slug: 'Tamper_ol' is not lowercase letters, digits")


def test_it_refuses_a_citation_doi_of_the_wrong_form(tmp_path, document):
    citation = dict(document["citations"][0], key="zz2099", label="Zz et al., 2099", doi="10.x", history=[])
    document["citations"].append(citation)
    _refused(tmp_path, document, "(zz2099): doi: '10.x' is not a DOI of the form 10.NNNN/suffix")


def test_every_problem_of_a_row_is_listed_at_once(tmp_path, document):
    document["claims"].append(_new_claim(document, statement="x" * 1_000_000, notes="y" * 20_001))
    message = _refused(tmp_path, document, "statement: At most")
    assert "notes: At most" in message


def test_it_refuses_the_history_of_a_deleted_link_whose_claim_is_nowhere(tmp_path, document):
    link = {name: value for name, value in document["claim_cell_lines"][0].items() if name != "history"}
    row = dict(
        link,
        claim="CLM-9998",
        history_date="2026-01-01T00:00:00+00:00",
        history_change_reason=None,
        history_type="-",
        history_user=None,
    )
    groups = document["history_of_deleted"]["claim_cell_lines"]
    groups.append({"history": [row]})
    _refused(
        tmp_path,
        document,
        f"history_of_deleted.claim_cell_lines[{len(groups) - 1}]: claim: 'CLM-9998' is neither in the file "
        "nor in the database",
    )
