"""Type aliases for the typed boundaries (services, selectors, data operations): names only."""

from django.contrib.auth.models import AnonymousUser, User

# Who acts: request.user (signed in or not), or None where a command runs without an account.
type Actor = User | AnonymousUser | None
