#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: lint, migrations check, then every test
# on SQLite and again on PostgreSQL. Browser tests need Debian's Chromium; it is installed here
# when missing (never a downloaded browser). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${EXOCLAIMS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

if ! command -v bibtex >/dev/null; then
  echo "== installing bibtex (texlive-binaries) for the BibTeX export test"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq texlive-binaries >/dev/null || \
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq texlive-binaries >/dev/null)
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq texlive-binaries >/dev/null
  fi
fi

echo "== lint"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== import contracts (layers)"
"$BIN/lint-imports"
echo "== types (mypy; django-stubs reads the development settings)"
DJANGO_DEBUG=1 "$BIN/mypy"
echo "== migrations are complete"
DJANGO_DEBUG=1 "$BIN/python" manage.py makemigrations --check --dry-run

echo "== tests on SQLite"
# Two workers (the machines have two cores); each gets its own test database.
env -u DATABASE_URL "$BIN/python" -m pytest -p no:cacheprovider -n 2 "$@"

echo "== tests on PostgreSQL ($PG_URL)"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
DATABASE_URL="$PG_URL" "$BIN/python" -m pytest -p no:cacheprovider -n 2 --create-db "$@"
