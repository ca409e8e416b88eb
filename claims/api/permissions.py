from rest_framework import permissions


class ReadAnyoneWriteWithModelPermission(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writing needs the model's add/change/delete permission (curators, editors)."""
