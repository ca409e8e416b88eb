"""The API's OpenAPI document as tests read it (tests/test_api_schema.py, tests/test_fuzz_api.py)."""

from django.test import Client

# Ask for uncompressed bodies: schemathesis reads them as they are sent.
IDENTITY = {"Accept-Encoding": "identity"}


def fetch_schema(client=None):
    response = (client or Client()).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()
