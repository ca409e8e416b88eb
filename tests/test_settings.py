import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from exoclaims.settings import database_from_url


def test_no_database_url_means_the_sqlite_file_in_the_project():
    config = database_from_url("")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert str(config["NAME"]).endswith("db.sqlite3")


def test_sqlite_url_names_the_file():
    assert database_from_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"
    assert database_from_url("sqlite:///data/x.db")["NAME"] == "data/x.db"


def test_postgres_url_selects_psycopg_with_persistent_checked_connections():
    config = database_from_url("postgres://alice:s%40cret@db.example:6543/exo?sslmode=require")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "alice",
        "s@cret",
        "db.example",
        "6543",
        "exo",
    )
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["OPTIONS"]["sslmode"] == "require"
    options = config["OPTIONS"]["options"].split(" -c ")
    assert "-c jit=off" in config["OPTIONS"]["options"], "facet counts must not pay for JIT compilation"
    assert "random_page_cost=1.1" in options, "a page's relations must be looked up by key, not hashed"
    assert config["OPTIONS"]["server_side_binding"] is True and config["OPTIONS"]["prepare_threshold"] == 1
    assert "plan_cache_mode=force_generic_plan" in options, "a new connection must not plan a page six times"


def test_prepared_statements_can_be_turned_off_for_a_pooler_and_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", "0")
    options = database_from_url("postgres://u@h/db")["OPTIONS"]
    assert "server_side_binding" not in options and "prepare_threshold" not in options
    # Unprepared statements are planned on every run anyway: with their parameters' values.
    assert "plan_cache_mode" not in options["options"]
    for bad in ("-1", "two"):
        monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", bad)
        with pytest.raises(ImproperlyConfigured, match="DATABASE_PREPARE_THRESHOLD"):
            database_from_url("postgres://u@h/db")


def test_an_unknown_scheme_is_refused_with_a_clear_message():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://x@y/z")


def test_the_suite_runs_against_the_database_named_by_database_url(monkeypatch):
    import os

    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith("postgres") else "sqlite3"
    assert settings.DATABASES["default"]["ENGINE"].endswith(expected)
