"""What can be checked of the deployment files without a Docker engine."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_postgres_16_with_a_volume_and_a_healthcheck():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "pgdata" in compose["volumes"]


def test_compose_web_waits_for_a_healthy_db_and_redis_and_the_finished_migrate_then_serves_with_gunicorn():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    web = services["web"]
    assert web["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    assert web["command"].startswith("gunicorn exoclaims.wsgi") and "--workers" in web["command"]
    # Replicas only serve: a replica that migrated would race the others on the same database.
    assert not {"migrate", "createcachetable", "load_review"} & set(web["command"].split())
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_compose_migrates_creates_the_cache_table_and_loads_the_review_once_in_a_one_shot_service():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate["environment"] == services["web"]["environment"], "the same database and settings"
    assert migrate.get("restart", "no") == "no" and "ports" not in migrate
    command = migrate["command"]
    assert command.index("migrate") < command.index("createcachetable") < command.index("load_review")
    assert "gunicorn" not in command


def test_compose_runs_redis_with_a_healthcheck_and_web_uses_it_as_the_shared_cache():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    assert "ping" in " ".join(redis["healthcheck"]["test"])
    assert services["web"]["environment"]["REDIS_URL"].startswith("redis://redis:6379")


def test_compose_commits_no_secret_key():
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert web["environment"]["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def test_the_image_builds_from_the_pinned_python_and_installs_the_project():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.13" in dockerfile
    assert "pip install --no-cache-dir ." in dockerfile and "collectstatic" in dockerfile


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert readme.index("```") < readme.index("\n## "), "the commands come first"
    commands = [line.strip() for line in first_block.strip().splitlines()[1:]]
    assert commands == ["make serve", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_compose_gives_every_web_replica_the_canonical_address_and_the_shared_releases_volume():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]
    assert web["environment"]["EXOCLAIMS_BASE_URL"].startswith("${EXOCLAIMS_BASE_URL:-http")
    releases = web["environment"]["EXOCLAIMS_RELEASES_DIR"]
    assert f"releases:{releases}" in web["volumes"] and "releases" in compose["volumes"]
