import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from claims.services.roles import CURATORS, EDITORS


class Command(BaseCommand):
    help = (
        "Create a curator (or, with --editor, an editor) account. Password from --password-env or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--editor", action="store_true", help="may also approve and reject claims")
        parser.add_argument(
            "--password-env", metavar="VAR", help="read the password from this environment variable"
        )

    def handle(self, *args, username, email, editor, password_env, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"environment variable {password_env} is empty or not set")
        else:
            password = getpass.getpass(f"Password for {username}: ")
        user = User(username=username, email=email, is_staff=True)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("password refused: " + " ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=EDITORS if editor else CURATORS))
        self.stdout.write(self.style.SUCCESS(f"{'editor' if editor else 'curator'} {username} created"))
