"""Curation pages (creating, editing, reviewing, flagging claims, and their history).

Included into claims/urls.py (namespace "claims"); "claims/new/" must come before the claim
detail pattern "claims/<public_id>/", which would otherwise take "new" for a public id.
"""

from django.urls import path

from claims.views import curation, curation_history, curation_workflow

urlpatterns = [
    path("claims/new/", curation.claim_create_view, name="claim-create"),
    path("claims/<str:public_id>/edit/", curation.claim_edit_view, name="claim-edit"),
    path(
        "claims/<str:public_id>/transition/", curation_workflow.claim_transition_view, name="claim-transition"
    ),
    path("claims/<str:public_id>/flag/", curation_workflow.claim_flag_view, name="claim-flag"),
    path("claims/<str:public_id>/history/", curation_history.claim_history_view, name="claim-history"),
    path(
        "claims/<str:public_id>/history/<int:history_id>/restore/",
        curation_history.claim_restore_view,
        name="claim-restore",
    ),
    path("flags/<int:pk>/resolve/", curation_workflow.flag_resolve_view, name="flag-resolve"),
    path("curate/autocomplete/<str:kind>/", curation.autocomplete_view, name="curation-autocomplete"),
]
