from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):
    # Permissions exist only after post_migrate has created them, hence a handler, not a migration.
    from claims.services.roles import roles_ensure

    roles_ensure()


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "ExoClaims"

    def ready(self):
        post_migrate.connect(_ensure_roles, sender=self)
