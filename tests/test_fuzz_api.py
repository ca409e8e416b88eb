"""No request the API's schema forbids gets a 5xx (issue 18, item 6).

schemathesis generates invalid data for every operation of /api/schema/ (negative mode: values
of the wrong type or outside their enum, missing required fields, bad path and query parameters,
strings holding NUL), sent anonymously and as a curator with a token. The one property asserted
is the issue's: no 5xx; a request that gets one is added to tests/data/fuzz_regressions.jsonl
(replayed by tests/test_fuzz_regressions.py) before the test fails. Whether invalid data is
refused (rather than tolerated) is not asserted: DRF ignores unknown fields and reads "1" as a
number, and that is the documented behaviour. Bounded to a few examples per operation, without
the coverage phase, so the file runs in well under a minute and a half on 2 workers.
"""

import re
from urllib.parse import quote

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from claims.models import Flag
from tests.fuzzing import record, tally
from tests.openapi import IDENTITY, fetch_schema

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failing input goes to the corpus whole
    suppress_health_check=list(HealthCheck),
)
CONFIG = {
    "generation": {"mode": "negative"},
    "phases": {"coverage": {"enabled": False}},
}


def free_path_only(ctx):
    """Negative mode cannot make these invalid: no body, no query, their parameters free-text path
    segments (and headers any text may fill). test_hostile_path_segments_never_get_a_5xx covers
    them, and every other path."""
    raw = ctx.operation.definition.raw  # the schema's own words: the operation is not loaded yet
    return "requestBody" not in raw and all(p["in"] in ("path", "header") for p in raw.get("parameters", []))


schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", WSGIHandler(), config=SchemathesisConfig.from_dict(CONFIG)
).exclude(free_path_only)
# A curator's invalid bodies are sent to objects that exist (a generated slug names nothing, and
# the body of a request to nothing is never read).
EXISTING = {
    "public_id": "CLM-0002",
    "key": "akagi2015",
    "number": "3.1",
    "/api/drugs/": "atezolizumab",
    "/api/cargo/": "abcb1",
    "/api/targets/": "cd274",
    "/api/cell-lines/": "mcf-7",
    "/api/mechanisms/": "apoptosis-inhibition",
}


def send(case, persona, headers):
    cache.clear()  # the anonymous throttle would answer 429 after a few hundred requests
    response = case.call(headers=headers)
    tally(f"api-{persona}", response.status_code)
    if response.status_code >= 500:
        sent = response.request
        record(
            method=case.method.upper(),
            path=sent.path_url,
            persona=persona,
            body=sent.body,
            content_type=sent.headers.get("Content-Type"),
            issue=f"found by tests/test_fuzz_api.py: {response.status_code} {response.text[:200]}",
        )
    assert response.status_code < 500, (case.method, response.request.path_url, response.text[:500])


@schema.parametrize()
@BOUNDED
def test_invalid_anonymous_requests_never_get_a_5xx(test_transaction_kept, case):
    send(case, "anonymous", IDENTITY)


@schema.parametrize()
@BOUNDED
def test_invalid_requests_from_a_curator_never_get_a_5xx(test_transaction_kept, curator_token, case):
    parameters = case.path_parameters or {}
    if "flag_id" in parameters:
        flag = Flag.objects.order_by("pk").first()
        parameters.update(public_id=flag.claim.public_id, flag_id=flag.pk)
    elif "slug" in parameters:
        parameters["slug"] = EXISTING[case.path.split("{")[0]]
    else:
        parameters.update({name: EXISTING[name] for name in parameters})
    send(case, "curator", {**IDENTITY, "Authorization": f"Token {curator_token}"})


# Hostile path segments, through every documented path and method (a segment is text whatever
# the schema says, so this is where NUL, lone surrogates and huge numbers go in a path).
PATHS = [
    (method.upper(), path)
    for path, operations in fetch_schema(Client())["paths"].items()
    if "{" in path
    for method in operations
]
SEGMENT = st.one_of(
    st.text(st.characters(codec=None), min_size=1, max_size=40),
    st.text(st.sampled_from("\x00\ud800\udfff%./\\\u202e\ufeff"), min_size=1, max_size=6),
    st.integers().map(str),
    st.sampled_from(["99999999999999999999999999999999", "-1", "1e309", "NaN", "..", "%00", "CLM-0001"]),
)


@pytest.mark.parametrize("method, path", PATHS, ids=[f"{m} {p}" for m, p in PATHS])
@settings(BOUNDED, max_examples=6)
@given(segments=st.lists(SEGMENT, min_size=3, max_size=3))
def test_hostile_path_segments_never_get_a_5xx(curator_client, method, path, segments):
    cache.clear()
    curator_client.raise_request_exception = False
    url = re.sub(
        r"\{[^}]+\}",
        lambda _: quote(segments.pop(), safe="", errors="surrogatepass"),
        path,
    )
    send_method = getattr(curator_client, method.lower())
    response = (
        send_method(url, secure=True)
        if method == "GET"
        else send_method(url, "{}", content_type="application/json", secure=True)
    )
    tally("api-paths", response.status_code)
    if response.status_code >= 500:
        record(
            method=method,
            path=url,
            persona="curator",
            body="{}",
            issue=f"found by tests/test_fuzz_api.py: {response.status_code}",
        )
    assert response.status_code < 500, (method, url)
