"""API errors: every refusal is an RFC 9457 problem (application/problem+json) that names what is
wrong and where.

A problem has ``type`` (always "about:blank": the status says what kind of problem it is),
``title`` (the status's phrase), ``status``, ``detail`` (a sentence for people) and, for invalid
input, ``errors``: each bad field or parameter with its messages, ``{"drug": ["…"]}``. Before
problems, those field errors were the whole body, so they are repeated at the top level too,
except where a name clashes with a member above (a field named ``status`` is only in ``errors``).

The services raise Django's exceptions (ValidationError with a message_dict, PermissionDenied)
and StaleClaim; the handler turns them into 400, 403 and 412 so views stay free of try/except.
Responses made outside DRF (the request hygiene's 400, Django's 404 and 500, the 503 of a lost
database) are turned into problems by claims.api.middleware.ApiHttpMiddleware.
"""

from http import HTTPStatus

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from claims.services.claim_writes import StaleClaim

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})


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


class ContentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "content_too_large"


def problem(status_code, detail, *, errors=None, extensions=None):
    """An RFC 9457 problem as a dict: the standard members, ``errors`` and any extension members."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail or f"{HTTPStatus(status_code).description}.",
    }
    for name, value in (extensions or {}).items():
        if name not in PROBLEM_MEMBERS:
            body[name] = value
    if errors:
        body["errors"] = errors
        for name, messages in errors.items():  # the earlier shape, where no name clashes
            body.setdefault(name, messages)
    return body


def problem_json(body, headers=None):
    """The response carrying a problem (a dict from ``problem``)."""
    return JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def problem_response(status_code, detail, *, errors=None, extensions=None, headers=None):
    return problem_json(problem(status_code, detail, errors=errors, extensions=extensions), headers)


def _messages(value):
    """The messages in an error structure (DRF nests dicts and lists of them), in order."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _messages(item)
    elif value is not None:
        yield str(value)


def problem_from_errors(status_code, data):
    """A problem for an error body of the earlier shapes: {"detail": "…"}, {field: [messages]} or
    [messages]; ``detail`` sums the field errors up, naming each field."""
    if isinstance(data, list | tuple):
        data = {"non_field_errors": list(data)}
    errors = {name: value for name, value in data.items() if name != "detail"}
    detail = " ".join(_messages(data.get("detail")))
    if not detail and errors:
        detail = "Invalid input. " + " ".join(
            " ".join(_messages(messages))
            if name == "non_field_errors"
            else f"{name}: {' '.join(_messages(messages))}"
            for name, messages in errors.items()
        )
    return problem(status_code, detail, errors=errors)


def _field_errors(error):
    """A Django ValidationError as {field: [messages]}, with '__all__' named as DRF names it."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """DRF's handler, extended to the services' exceptions, answering with a problem.

    The problem is a plain JSON response, so an error is JSON even on ?format=csv or ?format=bibtex
    and a download can say what went wrong. DRF's headers (WWW-Authenticate, Retry-After) are kept.
    """
    if isinstance(exc, StaleClaim):
        exc = PreconditionFailed(str(exc), current_etag=exc.claim.etag)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(f"Still in use, so it cannot be deleted: {exc.args[0]}")
    elif isinstance(exc, RequestDataTooBig):
        exc = ContentTooLarge(f"The request body is too large: {exc}")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
    if isinstance(exc, PreconditionFailed) and exc.current_etag:
        headers["ETag"] = exc.current_etag
    return problem_json(problem_from_errors(response.status_code, response.data), headers)
