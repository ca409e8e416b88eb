from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    # Permissions exist only after post_migrate has created them, hence a handler, not a migration.
    from claims.services.roles import roles_ensure

    roles_ensure()


def _ensure_cache_table(sender, using="default", **kwargs):
    # With the database cache (no REDIS_URL), throttles and sign-in limits need its table: creating
    # it after every migrate means no deploy can forget `createcachetable` and answer 500s.
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "ExoClaims"

    def ready(self):
        post_migrate.connect(_ensure_roles, sender=self)
        post_migrate.connect(_ensure_cache_table, sender=self)
