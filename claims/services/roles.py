"""The curation roles as Django groups: readers need no account, curators edit, editors approve."""

from django.contrib.auth.models import Group, Permission

CURATORS = "curators"
EDITORS = "editors"

_EDITABLE = [
    "claim",
    "claimcellline",
    "citation",
    "citationcheck",
    "drug",
    "cargo",
    "target",
    "cellline",
    "mechanism",
    "flag",
]
_CURATOR_CODENAMES = [f"{action}_{model}" for model in _EDITABLE for action in ("add", "change", "view")] + [
    "view_source",
    "view_section",
    "view_statuschange",
]
_EDITOR_CODENAMES = _CURATOR_CODENAMES + [f"delete_{model}" for model in _EDITABLE] + ["review_claim"]


def roles_ensure() -> None:
    """Create or update the curator and editor groups with their permissions (idempotent)."""
    for name, codenames in [(CURATORS, _CURATOR_CODENAMES), (EDITORS, _EDITOR_CODENAMES)]:
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="claims", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for group {name}: {sorted(missing)}")
        group.permissions.set(permissions)
