#!/usr/bin/env python
import os
import sys


def main():
    if sys.version_info < (3, 12):  # noqa: UP036 (a clear message on an old interpreter)
        sys.exit(f"ExoClaims needs Python 3.12 or newer (this is {sys.version.split()[0]}).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exoclaims.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
