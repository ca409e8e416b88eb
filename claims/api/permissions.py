from rest_framework import permissions


class ReadAnyoneWriteWithModelPermission(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writing needs the model's add/change/delete permission (curators, editors)."""

    def has_permission(self, request, view):
        # A read needs no permission (DRF's map asks none for GET, HEAD or OPTIONS), so it is let
        # through before DRF builds the view's queryset only to learn its model: a clone of
        # for_display() on every read, 6 % of a claim's time (issue 16).
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)


class ReadAnyoneWriteSignedIn(permissions.IsAuthenticatedOrReadOnly):
    """Anyone reads; any signed-in user may write, and the service called decides the rest.

    Used where the rule is not a model permission: anyone signed in may flag a claim, curators
    submit claims for review while only editors approve them (claims.services.workflow).
    """


class CanImportCitations(permissions.BasePermission):
    """A BibTeX import adds citations and changes existing ones: it needs both permissions."""

    message = "Importing BibTeX needs the permissions to add and to change citations (curators)."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated) and user.has_perms(
            ["claims.add_citation", "claims.change_citation"]
        )
