"""Every input that ever gave a 5xx, replayed on every run (issue 18, item 6).

The corpus is tests/data/fuzz_regressions.jsonl (its format: tests/fuzzing.py), seeded with the
500s issue 18 lists (JSON nested 100,000 deep on every JSON write endpoint, a lone surrogate in
each choice field it names, NUL in path segments and in a cursor) and the known problems of
docs/reliability.md; the fuzz tests append whatever new 5xx they find. A line passes when its
request gets no 5xx (a write to the API: a 4xx) and nothing it sent was written.
"""

import pytest
from django.core.cache import cache
from django.test import Client

from claims.models import Cargo, CellLine, Citation, Claim, Drug, Flag, Mechanism, Target
from tests import fuzzing
from tests.fuzzing import placeholders, regressions, replay, tally

pytestmark = pytest.mark.django_db
CASES = regressions()


def _counts():
    return [
        model.objects.count() for model in (Claim, Citation, Drug, Cargo, CellLine, Mechanism, Target, Flag)
    ]


def test_the_corpus_is_well_formed():
    assert len(CASES) >= 47
    for entry in CASES:
        assert {"method", "path", "as", "issue", "date"} <= set(entry), entry
        assert entry["as"] in {"anonymous", "reader", "curator", "editor", "admin"}


@pytest.mark.parametrize(
    "entry", CASES, ids=[f"{n + 1}-{e['method']} {e['path']}" for n, e in enumerate(CASES)]
)
def test_an_input_that_once_gave_a_5xx_gets_a_4xx_and_writes_nothing(request, entry):
    cache.clear()
    client = Client() if entry["as"] == "anonymous" else request.getfixturevalue(f"{entry['as']}_client")
    before = _counts()
    response = replay(client, entry, placeholders())
    tally("regressions", response.status_code)
    assert response.status_code < 500, f"{entry['issue']}: {response.status_code}"
    if entry["method"] not in ("GET", "HEAD"):
        assert _counts() == before
    if entry["path"].startswith("/api/") and entry["method"] != "GET":
        assert 400 <= response.status_code < 500, response.content[:300]


def test_a_recorded_request_is_replayed_as_it_was_sent(tmp_path, monkeypatch, reader_client):
    monkeypatch.setattr(fuzzing, "CORPUS", tmp_path / "corpus.jsonl")
    claim = Claim.objects.order_by("public_id").first()
    flags = claim.flags.count()
    sent = [
        ("a flag", '{"kind": "other", "text": "lone \ud800 here"}'.encode("utf-8", "surrogatepass")),
        ("bytes", b'{"kind": "other", "text": "\xff\xfe"}'),
    ]
    for issue, body in sent:
        fuzzing.record(
            method="POST",
            path=f"/api/claims/{claim.public_id}/flags/",
            persona="reader",
            body=body,
            issue=issue,
        )
    entries = fuzzing.regressions()
    assert [e["issue"] for e in entries] == ["a flag", "bytes"] and "body_base64" in entries[1]
    for entry in entries:
        # Neither body is UTF-8 as sent: both are refused, as they were when recorded.
        response = fuzzing.replay(reader_client, entry, placeholders())
        assert response.status_code == 400, response.content[:300]
    assert claim.flags.count() == flags
