from django.core.management.base import BaseCommand

from claims.services.idempotency_keys import idempotency_keys_purge, key_lifetime


class Command(BaseCommand):
    help = (
        "Delete expired Idempotency-Key records and one-time form tokens (older than "
        "settings.IDEMPOTENCY_KEY_TTL, 24 hours by default). Safe to run at any time, e.g. daily from cron."
    )

    def handle(self, *args, **options):
        deleted = idempotency_keys_purge()
        self.stdout.write(f"Deleted {deleted} idempotency key(s) older than {key_lifetime()}.")
