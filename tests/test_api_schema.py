"""The OpenAPI schema documents the API as it behaves, and the interactive docs render under the CSP.

The property-based run (schemathesis) sends generated requests to every operation of
/api/schema/, as an anonymous client and as a curator with a token: no response may be a 5xx,
and every status code, content type, header and body must be the one the schema documents.
It is bounded (a few examples per operation, no coverage phase) so CI stays fast.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from claims.api.urls import router

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
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
# Example-based and fuzzing phases only: the coverage phase would send hundreds of boundary cases.
CONFIG = {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}


def fetch_schema(client=None):
    response = (client or Client()).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


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


@pytest.fixture
def test_transaction_kept():
    """Requests sent straight to the WSGI handler would close the database connection when they
    end (Django's close_old_connections), and with it the test's transaction; Django's test
    client unhooks it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def curator_token(curator):
    return Token.objects.create(user=curator).key


# Loaded when the module is collected (generating the schema reads no data).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", WSGIHandler(), config=SchemathesisConfig.from_dict(CONFIG)
)


@schema.parametrize()
@BOUNDED
def test_anonymous_requests_conform_to_the_schema(db, test_transaction_kept, case):
    cache.clear()  # the throttle would otherwise answer 429 after a few hundred requests
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    if case.method != "GET":
        assert response.status_code in (401, 404, 405, 406, 415), response.content


@schema.include(method=["POST", "PUT", "PATCH", "DELETE"]).parametrize()
@BOUNDED
def test_a_curators_requests_conform_to_the_schema(test_transaction_kept, curator_token, case):
    cache.clear()
    response = case.call(headers={"Authorization": f"Token {curator_token}"})
    case.validate_response(response, checks=CHECKS)


@pytest.mark.browser
def test_the_interactive_docs_render_without_csp_violations(page):
    response = page.open("/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#swagger-ui .opblock-tag", timeout=20_000)
    tags = page.locator("#swagger-ui .opblock-tag").all_inner_texts()
    assert any("claims" in tag for tag in tags)
    page.screenshot_as("api-docs")
