"""Issue 17, item 12: the README's first five minutes work as written. Its account commands run
(on a scratch SQLite database, never the development one), a busy port is named with the way
out, and `make serve` installs only what serving needs."""

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEST_TOOLS = ("pytest", "playwright", "hypothesis", "schemathesis", "ruff", "mypy")


def _section(title):
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _account_commands():
    block = re.search(r"```sh\n(.*?)```", _section("Accounts and roles"), re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def _run(command, **env):
    # The README's commands, with the test's environment minus anything that would change them.
    base = {k: val for k, val in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        command, shell=True, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=300
    )


def test_the_readme_gives_every_account_command_the_development_settings():
    commands = _account_commands()
    assert len(commands) == 3
    assert all(command.startswith("DJANGO_DEBUG=1 .venv/bin/python manage.py ") for command in commands)
    assert "the same prefix" in " ".join(_section("Accounts and roles").split())


def test_the_readmes_account_commands_work_as_written(tmp_path):
    database = f"sqlite:///{tmp_path / 'accounts.db'}"
    migrated = _run("DJANGO_DEBUG=1 .venv/bin/python manage.py migrate --verbosity 0", DATABASE_URL=database)
    assert migrated.returncode == 0, migrated.stderr
    curator, editor, admin = _account_commands()
    runs = [
        _run(
            curator.replace("NAME", "ada") + " --password-env PW",
            DATABASE_URL=database,
            PW="a long pass phrase",
        ),
        _run(
            editor.replace("NAME", "bo") + " --password-env PW",
            DATABASE_URL=database,
            PW="a long pass phrase",
        ),
        _run(
            admin + " --noinput --username cy --email cy@example.org",
            DATABASE_URL=database,
            DJANGO_SUPERUSER_PASSWORD="a long pass phrase",
        ),
    ]
    for run in runs:
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    check = _run(
        "DJANGO_DEBUG=1 .venv/bin/python manage.py shell --no-imports -c "
        '"from django.contrib.auth.models import User; '
        "print(sorted((u.username, sorted(u.groups.values_list('name', flat=True)), u.is_superuser) "
        'for u in User.objects.all()))"',
        DATABASE_URL=database,
    )
    assert check.stdout.strip() == (
        "[('ada', ['curators'], False), ('bo', ['editors'], False), ('cy', [], True)]"
    ), check.stderr


@pytest.mark.django_db
def test_the_test_database_is_not_where_the_readme_commands_wrote():
    """The commands above wrote to a scratch database, not to the one the tests (or `make serve`) use."""
    assert not User.objects.filter(username__in=["ada", "bo", "cy"]).exists()


def test_a_busy_port_is_named_with_the_way_out():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # -o: take the virtual environment as set up (make serve would otherwise install it).
        run = _run(f"make -o setup -o .venv/.installed PORT={port} serve")
    assert run.returncode != 0
    assert f"Port {port} on 127.0.0.1 is busy (another server?). Serve on another: make PORT=8123 serve" in (
        run.stderr
    )
    assert "manage.py migrate" not in run.stdout, "nothing runs after the refusal"
    assert "`make PORT=8123 serve` for another port; a busy port is named" in " ".join(README.split())


def test_make_serve_installs_only_what_serving_needs():
    planned = _run("make -n -B serve").stdout
    installs = [line for line in planned.splitlines() if "pip install" in line]
    assert installs[-1].endswith("pip install --quiet -e .") and "[dev]" not in planned
    tested = _run("make -n -B test").stdout
    assert "pip install --quiet -e '.[dev]'" in tested, "the test tools come with make test"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    serving = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert not [tool for tool in TEST_TOOLS if f'"{tool}' in serving]
