"""The OpenAPI schema documents the API as it behaves, and the interactive docs render under the CSP.

The property-based run (schemathesis) sends generated requests to every operation of
/api/schema/, as an anonymous client and as a curator with a token, one at a time and in
sequences that follow the links it finds between operations (a claim created, then read,
changed, flagged): every check schemathesis has must pass. It is bounded (a few examples per
operation, no coverage phase) so CI stays fast. Requests ask for no compression (API responses
are gzipped when asked, and schemathesis' WSGI mode asks without decoding).
"""

import json

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from claims.api.urls import router
from claims.filters import ClaimFilter
from tests.openapi import IDENTITY, fetch_schema

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
STATEFUL = settings(BOUNDED, max_examples=8, stateful_step_count=5)
CONFIG = {
    # No coverage phase: it would send hundreds of boundary cases.
    "phases": {"coverage": {"enabled": False}},
    # A schema-valid request may still be refused with a 400 naming what is wrong when a schema
    # cannot say it: a section or citation that does not exist, a cursor or a BibTeX file that
    # does not parse.
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 429]}
    },
}


def test_the_schema_is_valid_openapi_3(client):
    schema = fetch_schema(client)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_the_schema_documents_every_endpoint(client):
    paths = set(fetch_schema(client)["paths"])
    assert {"/api/", "/api/facets/"} | {f"/api/{prefix}/" for prefix, _, _ in router.registry} <= paths
    for path in [
        "/api/claims/{public_id}/",
        "/api/claims/{public_id}/transition/",
        "/api/claims/{public_id}/flags/",
        "/api/claims/{public_id}/flags/{flag_id}/resolve/",
        "/api/citations/{key}/",
        "/api/citations/import/",
        "/api/drugs/{slug}/",
        "/api/cargo/{slug}/",
        "/api/cell-lines/{slug}/",
        "/api/mechanisms/{slug}/",
        "/api/sections/{number}/",
    ]:
        assert path in paths


def test_the_schema_documents_filters_enums_and_formats(client):
    schema = fetch_schema(client)
    claims = schema["paths"]["/api/claims/"]["get"]
    parameters = {p["name"]: p for p in claims["parameters"]}
    assert set(parameters) >= {
        "drug",
        "cargo",
        "cargo_type",
        "cell_line",
        "mechanism",
        "therapy_class",
        "direction",
        "model",
        "status",
        "section",
        "citation",
        "q",
        "ordering",
        "page",
        "page_size",
        "format",
    }
    assert parameters["drug"]["schema"]["type"] == "array" and parameters["drug"]["explode"] is True
    assert parameters["format"]["schema"]["enum"] == ["bibtex", "csl-json", "csv", "json", "ris"]
    assert set(claims["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "application/x-bibtex",
        "application/vnd.citationstyles.csl+json",
        "application/x-research-info-systems",
    }
    enums = schema["components"]["schemas"]
    assert enums["DirectionEnum"]["enum"] == [
        "promotes_resistance",
        "reverses_resistance",
        "biomarker",
        "delivery_vehicle",
        "background",
    ]
    claim_detail = schema["paths"]["/api/claims/{public_id}/"]
    assert "412" in claim_detail["patch"]["responses"] and "304" in claim_detail["get"]["responses"]
    assert {p["name"] for p in claim_detail["patch"]["parameters"] if p["in"] == "header"} == {"If-Match"}
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_reads_are_documented_as_open_to_anyone_and_writes_as_needing_an_account(client):
    for path, operations in fetch_schema(client)["paths"].items():
        for method, operation in operations.items():
            security = operation["security"]
            assert {"tokenAuth": []} in security, (method, path)
            if method == "get":
                assert {} in security, f"GET {path} is documented as needing an account"
            else:
                assert {} not in security, f"{method.upper()} {path} is documented as open to anyone"


def test_every_documented_read_answers_an_anonymous_client(client):
    for path in fetch_schema(client)["paths"]:
        if "{" not in path and "import" not in path:
            assert client.get(path).status_code == 200, path


def test_the_facets_document_every_claims_filter_they_take(client):
    parameters = {p["name"] for p in fetch_schema(client)["paths"]["/api/facets/"]["get"]["parameters"]}
    assert parameters == set(ClaimFilter.base_filters) | {"facet_size"}
    everything = client.get("/api/facets/").json()
    cisplatin = client.get("/api/facets/", {"drug": "cisplatin"}).json()
    assert 0 < cisplatin["count"] < everything["count"]
    assert [value["value"] for value in cisplatin["facets"]["drug"]][0] == "cisplatin"


# Where the schema must say what the views and the paginator do.


def test_a_claims_flags_are_documented_as_the_bare_list_they_are(client):
    # claims/api/views/claims.py: @action(..., pagination_class=None) on ClaimViewSet.flags.
    flags = fetch_schema(client)["paths"]["/api/claims/{public_id}/flags/"]["get"]
    assert isinstance(client.get("/api/claims/CLM-0001/flags/").json(), list)
    documented = flags["responses"]["200"]["content"]["application/json"]["schema"]
    assert documented == {"type": "array", "items": {"$ref": "#/components/schemas/Flag"}}


def test_csl_json_downloads_are_documented_as_the_lists_they_are(client):
    # drf-spectacular wraps every response of a list action in the paginator's envelope;
    # claims.api.schema.document_downloads_as_sent unwraps the CSL-JSON one.
    schema = fetch_schema(client)
    for path in ["/api/claims/", "/api/citations/"]:
        download = client.get(path, {"format": "csl-json"})
        assert isinstance(json.loads(b"".join(download.streaming_content)), list)
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert content["application/vnd.citationstyles.csl+json"]["schema"]["type"] == "array", path


def test_paging_parameters_are_documented_with_the_bounds_the_server_keeps(client):
    # "maximum": 500 on page_size would be wrong: larger sizes are capped, not refused.
    assert client.get("/api/drugs/", {"page_size": 0}).status_code == 400
    assert client.get("/api/drugs/", {"page": 0}).status_code == 400
    parameters = {p["name"]: p for p in fetch_schema(client)["paths"]["/api/drugs/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"].get("minimum") == 1
    assert parameters["page"]["schema"].get("minimum") == 1


# Loaded when the module is collected (generating the schema reads no data).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", WSGIHandler(), config=SchemathesisConfig.from_dict(CONFIG)
)


def call(case, headers):
    """Sends ``case`` with ``headers`` and runs every check on the response."""
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": headers})
    return response


@schema.parametrize()
@BOUNDED
def test_anonymous_requests_conform_to_the_schema(db, test_transaction_kept, case):
    cache.clear()  # the throttle would otherwise answer 429 after a few hundred requests
    response = call(case, IDENTITY)
    if case.method != "GET":
        assert response.status_code in (401, 404, 405, 406, 415), response.content


@schema.include(method=["POST", "PUT", "PATCH", "DELETE"]).parametrize()
@BOUNDED
def test_a_curators_requests_conform_to_the_schema(test_transaction_kept, curator_token, case):
    cache.clear()
    call(case, {**IDENTITY, "Authorization": f"Token {curator_token}"})


class Workflow(schema.as_state_machine()):
    """Sequences of calls along the links schemathesis finds in the schema."""

    headers = IDENTITY

    def before_call(self, case):
        cache.clear()

    def get_call_kwargs(self, case):
        return {"headers": self.headers}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        # Naming the headers sent tells the checks that the token is ours, not generated.
        case.validate_response(
            response, additional_checks=additional_checks, headers=self.headers, transport_kwargs=kwargs
        )


def test_anonymous_call_sequences_conform_to_the_schema(db, test_transaction_kept):
    Workflow.run(settings=STATEFUL)


def test_a_curators_call_sequences_conform_to_the_schema(test_transaction_kept, curator_token):
    class CuratorWorkflow(Workflow):
        headers = {**IDENTITY, "Authorization": f"Token {curator_token}"}

    CuratorWorkflow.run(settings=STATEFUL)


@pytest.mark.browser
def test_the_interactive_docs_render_without_csp_violations(page):
    response = page.open("/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#swagger-ui .opblock-tag", timeout=20_000)
    tags = page.locator("#swagger-ui .opblock-tag").all_inner_texts()
    assert any("claims" in tag for tag in tags)
    page.screenshot_as("api-docs")
