"""The API's HTTP contract as a client sees it (issue 15, items 8 to 10): RFC 9457 problems for every
error, RateLimit headers, CORS for anonymous reads only, gzip, Cache-Control and Vary, /api/v1/
beside /api/, and an anonymous rate that a client cannot dodge with a forged X-Forwarded-For.
"""

import gzip
import json

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import AnonRateThrottle

from claims.models import Citation, Claim

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
ELSEWHERE = "https://tools.example.org"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})


def assert_problem(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank" and body["status"] == status and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def _claim():
    return Claim.objects.order_by("public_id").first()


# Problems, whatever kind of error and whoever makes it (DRF, a view, a middleware, Django).


def test_a_bad_filter_is_a_400_problem_with_its_field_errors(client):
    body = assert_problem(client.get("/api/claims/", {"drug": "unobtainium"}), 400)
    assert body["errors"] == {"drug": ["No drug is named 'unobtainium'."]}
    assert "drug" in body["detail"] and "unobtainium" in body["detail"]
    assert body["drug"] == body["errors"]["drug"], "the earlier shape is kept beside errors"


def test_a_field_named_like_a_problem_member_is_only_under_errors(curator_client):
    """A cargo's ``type`` must not overwrite the problem's."""
    response = curator_client.post(
        "/api/cargo/", json.dumps({"name": "Odd cargo", "type": "dna"}), content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert "dna" in " ".join(body["errors"]["type"]) and body["type"] == "about:blank"


def test_a_download_with_a_bad_filter_is_a_json_problem_not_csv(client):
    body = assert_problem(client.get("/api/claims/", {"format": "csv", "drug": "unobtainium"}), 400)
    assert list(body["errors"]) == ["drug"]


def test_a_parameter_holding_nul_is_a_400_problem_naming_it(client):
    body = assert_problem(client.get("/api/claims/", {"q": "a\x00b"}), 400)
    assert list(body["errors"]) == ["q"] and "'q'" in body["detail"]


def test_a_bad_token_is_a_401_problem(client):
    response = Client(headers={"Authorization": "Token not-a-real-token"}).post("/api/claims/", {})
    assert assert_problem(response, 401)["detail"] == "Invalid token."
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_reader_writing_is_a_403_problem(reader_client):
    assert_problem(reader_client.post("/api/claims/", {}), 403)


@pytest.mark.parametrize("path", ["/api/claims/CLM-NOPE/", "/api/nothing/here/", "/api/v1/nothing/here/"])
def test_what_is_not_there_is_a_404_problem(client, path):
    body = assert_problem(client.get(path), 404)
    assert path.rstrip("/").rsplit("/", 1)[-1] in body["detail"] or "no API endpoint" in body["detail"]


def test_a_path_holding_nul_is_a_404_problem_not_the_html_page(client):
    assert_problem(client.get("/api/claims/a%00b/"), 404)


def test_an_unsupported_method_is_a_405_problem_with_allow(client):
    response = client.delete("/api/")
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_an_unavailable_format_is_a_406_problem(client):
    assert "json" in assert_problem(client.get("/api/drugs/", {"format": "xml"}), 406)["detail"]


def test_deleting_a_citation_in_use_is_a_409_problem(editor_client):
    citation = Citation.objects.filter(claims__isnull=False).order_by("key").first()
    body = assert_problem(editor_client.delete(f"/api/citations/{citation.key}/"), 409)
    assert citation.key in body["detail"]


def test_a_stale_if_match_is_a_412_problem_with_the_current_etag(editor_client):
    claim = _claim()
    response = editor_client.patch(
        f"/api/claims/{claim.public_id}/",
        json.dumps({"notes": "x"}),
        content_type="application/json",
        headers={"If-Match": '"CLM-0000-v999"'},
    )
    assert_problem(response, 412)
    assert response["ETag"] == claim.etag


def test_a_form_too_large_to_read_is_a_413_problem(curator_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = curator_client.post("/api/citations/import/", {"note": "x" * 2000})
    assert "too large" in assert_problem(response, 413)["detail"]


def test_an_unsupported_body_type_is_a_415_problem(curator_client):
    response = curator_client.post("/api/claims/", "statement", content_type="text/plain")
    assert "text/plain" in assert_problem(response, 415)["detail"]


def test_a_crash_is_a_500_problem_not_the_html_page(monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("claims.api.views.facets.facet_counts", crash)
    response = Client(raise_request_exception=False).get("/api/facets/")
    body = assert_problem(response, 500)
    assert "boom" not in response.content.decode() and "Traceback" not in body["detail"]


def test_the_schema_documents_errors_as_problems(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    claims = schema["paths"]["/claims/"]["get"]["responses"]
    assert set(claims["404"]["content"]) == {PROBLEM}
    assert schema["components"]["schemas"]["Problem"]["required"] == ["detail", "status", "title", "type"]
    delete = schema["paths"]["/citations/{key}/"]["delete"]["responses"]
    assert set(delete["409"]["content"]) == {PROBLEM}, "a view's own 409 is sent as a problem too"


# Rate limits.


def test_anonymous_reads_say_where_they_stand_and_the_429_too(client, three_a_minute):
    answers = [client.get("/api/sections/") for _ in range(4)]
    assert [response.status_code for response in answers] == [200, 200, 200, 429]
    assert {response["RateLimit-Policy"] for response in answers} == {'"anon";q=3;w=60'}
    assert [response["RateLimit"].split(";")[1] for response in answers] == ["r=2", "r=1", "r=0", "r=0"]
    reset = int(answers[-1]["RateLimit"].split(";t=")[1])
    assert 0 < reset <= 60 and int(answers[-1]["Retry-After"]) > 0
    assert_problem(answers[-1], 429)


def test_signed_in_clients_get_no_rate_limit_headers(reader_client, three_a_minute):
    response = reader_client.get("/api/sections/")
    assert response.status_code == 200 and "RateLimit" not in response


def test_a_forged_x_forwarded_for_does_not_dodge_the_rate(client, three_a_minute):
    """Regression: DRF's throttle counted each X-Forwarded-For value as a client of its own."""
    answers = [
        client.get("/api/sections/", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_its_header_names_the_client(client, three_a_minute, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    answers = [client.get("/api/sections/", headers={"X-Real-IP": f"198.51.100.{n}"}) for n in range(4)]
    assert {response.status_code for response in answers} == {200}
    assert {response["RateLimit"].split(";")[1] for response in answers} == {"r=2"}


# CORS: anyone may read; writes stay same-origin.


def test_another_origin_may_read_without_credentials(client):
    response = client.get("/api/claims/", headers={"Origin": ELSEWHERE})
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "RateLimit" in response["Access-Control-Expose-Headers"]


def test_a_read_preflight_is_allowed(client):
    response = client.options(
        "/api/claims/",
        headers={
            "Origin": ELSEWHERE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert "if-none-match" in response["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_a_write_preflight_from_another_origin_is_refused(client, method):
    response = client.options(
        f"/api/claims/{_claim().public_id}/" if method != "POST" else "/api/claims/",
        headers={"Origin": ELSEWHERE, "Access-Control-Request-Method": method},
    )
    assert "Access-Control-Allow-Origin" not in response
    assert method not in response.get("Access-Control-Allow-Methods", "")


def test_a_write_from_another_origin_gets_no_cors_headers(curator_client):
    response = curator_client.post("/api/claims/", {}, headers={"Origin": ELSEWHERE})
    assert response.status_code == 400 and "Access-Control-Allow-Origin" not in response


def test_html_pages_get_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in client.get("/claims/", headers={"Origin": ELSEWHERE})


# Compression.


def test_api_responses_are_gzipped_when_asked(client):
    plain = client.get("/api/claims/", {"page_size": 100})
    packed = client.get("/api/claims/", {"page_size": 100}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content) / 3


def test_csv_downloads_are_gzipped_when_asked(client):
    packed = client.get("/api/claims/", {"format": "csv"}, headers={"Accept-Encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(packed.streaming_content)).decode().startswith("id,")


def test_html_pages_are_not_compressed_breach(client):
    """Pages carry a CSRF token: compressing them beside reflected input would expose it (BREACH)."""
    response = client.get("/claims/", {"q": "exosome"}, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response


# Caching.


def test_anonymous_reads_are_publicly_cacheable(client, settings):
    response = client.get("/api/claims/")
    assert set(response["Cache-Control"].split(", ")) == {"public", f"max-age={settings.API_CACHE_SECONDS}"}
    vary = {name.strip().lower() for name in response["Vary"].split(",")}
    assert {"accept", "accept-encoding", "origin", "authorization"} <= vary


def test_reads_with_credentials_are_private(reader_client):
    response = reader_client.get(f"/api/claims/{_claim().public_id}/")
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}


def test_errors_and_writes_are_not_made_cacheable(client, curator_client):
    assert "public" not in client.get("/api/claims/", {"drug": "unobtainium"}).get("Cache-Control", "")
    assert "public" not in curator_client.post("/api/claims/", {}).get("Cache-Control", "")


# Versions.


@pytest.mark.parametrize("base", ["/api/v1/", "/api/"])
def test_both_bases_answer_with_links_in_the_same_base(client, base):
    claim = _claim()
    root = client.get(base).json()
    assert root["claims"] == f"http://testserver{base}claims/"
    detail = client.get(f"{base}claims/{claim.public_id}/")
    assert detail.status_code == 200
    assert detail.json()["url"] == f"http://testserver{base}claims/{claim.public_id}/"
    listed = client.get(f"{base}claims/", {"page_size": 2}).json()
    assert listed["next"].startswith(f"http://testserver{base}claims/?")


def test_the_v1_schema_names_its_server_and_the_docs_load_it(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert schema["servers"] == [{"url": "/api/v1", "description": "ExoClaims API, version 1"}]
    assert "/claims/" in schema["paths"] and not any(path.startswith("/api/") for path in schema["paths"])
    legacy = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/claims/" in legacy["paths"] and "servers" not in legacy
    docs = client.get("/api/v1/docs/", {"script": ""}).content.decode()
    assert "/api/v1/schema/" in docs


def test_the_versioned_base_without_its_slash_is_redirected(client):
    response = client.get("/api/v1")
    assert response.status_code == 301 and response["Location"] == "/api/v1/"
