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


def test_compose_web_waits_for_a_healthy_db_migrates_loads_and_serves_with_gunicorn():
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["environment"]["DATABASE_URL"].startswith("postgres://")
    command = web["command"]
    assert command.index("migrate") < command.index("load_review") < command.index("gunicorn")
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


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
