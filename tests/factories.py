"""Builders the tests share: claims made the way a curator makes them, users with a role, and
the client a persona browses with.

``make_claim`` goes through ``claim_create`` (the service every door calls), so a test's claim is
validated, anchored and numbered like a real one. Tests of ``claim_create`` itself call the service.
"""

from django.contrib.auth.models import Group, User
from django.test import Client

from claims import vocabulary as v
from claims.models import Claim, Section, Source
from claims.services.claim_writes import claim_create, quote_occurrence

# A sentence the review says once, in its section 3.1: where a claim goes unless told otherwise.
QUOTE = "However, increased drug efflux could lead to chemoresistance."
PASSWORD = "correct horse battery"


def make_claim(user=None, *, like=None, **fields):
    """A draft claim made by ``claim_create``, with sensible defaults for every required field.

    By default it quotes ``QUOTE`` in section 3.1, says that drug efflux causes resistance, and is
    a chemotherapy background claim with no relations. ``like=claim`` puts it on that claim's quote
    instead, in the same section and at the same occurrence, so the two anchor on the same words.
    Any other argument of ``claim_create`` overrides its default: fields (``statement``,
    ``direction``, ``model``, ``notes``, …) and relations (``drugs=[drug]``, ``citations=[…]``,
    ``cell_lines=[(line, "donor")]``, ``mechanism=mechanism``). ``user`` is the author (none if
    not given; it may be passed first, as in ``make_claim(curator, drugs=[drug])``).
    """
    if like is not None:
        anchor = {
            "section": like.section,
            "quote": like.quote,
            "occurrence": quote_occurrence(section=like.section, quote=like.quote, start=like.quote_start),
            "statement": f"A test claim on the quote of {like.public_id}.",
        }
    else:
        anchor = {
            "section": Section.objects.get(source__in=Source.objects.the_review_pk(), number="3.1"),
            "quote": QUOTE,
            "statement": "More drug efflux can make tumours resistant to chemotherapy.",
        }
    defaults = {"therapy_class": v.TherapyClass.CHEMOTHERAPY, "direction": v.Direction.BACKGROUND}
    return claim_create(user=user, **{**defaults, **anchor, **fields})


def make_user(username, group=None, **extra):
    """A user signed in by the tests with ``PASSWORD``; ``group`` is a role ("curators", "editors")."""
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def persona_client(request, persona):
    """The test client of a persona of tests/conftest.py ("anonymous": signed out)."""
    if persona == "anonymous":
        return Client()
    return request.getfixturevalue(f"{persona}_client")


def reviewable_claims(count=1):
    """Claims in review that cite a paper with a verdict (as loaded from the transcription)."""
    claims = (
        Claim.objects.filter(status=v.CurationStatus.IN_REVIEW, citations__isnull=False)
        .exclude(citation_support=v.CitationSupport.NOT_CHECKED)
        .distinct()
        .order_by("public_id")
    )
    return list(claims[:count])
