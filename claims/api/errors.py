"""API errors: every refusal is JSON that names what is wrong and where.

The services raise Django's exceptions (ValidationError with a message_dict, PermissionDenied)
and StaleClaim; this handler turns them into 400, 403 and 412 so views stay free of try/except.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from claims.services.claim_writes import StaleClaim


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it; fetch it again and reapply your change."
    default_code = "precondition_failed"

    def __init__(self, detail=None, *, current_etag=None):
        super().__init__(detail)
        self.current_etag = current_etag


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"


def _field_errors(error):
    """A Django ValidationError as {field: [messages]}, with '__all__' named as DRF names it."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """DRF's handler, extended to the services' exceptions and with a 404 that names what was missing."""
    if isinstance(exc, StaleClaim):
        exc = PreconditionFailed(str(exc), current_etag=exc.claim.etag)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(f"Still in use, so it cannot be deleted: {exc.args[0]}")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        response.data = {"detail": str(exc) or "Not found."}
    if isinstance(exc, PreconditionFailed) and exc.current_etag:
        response["ETag"] = exc.current_etag
    return response
