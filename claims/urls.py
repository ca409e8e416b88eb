from django.urls import path

from claims.api.views import ClaimViewSet
from claims.views import (
    citations,
    claim_views,
    disagreements,
    entities,
    overview,
    releases,
    review_reader,
    terms,
)

app_name = "claims"

urlpatterns = [
    path("", overview.home, name="home"),
    path("claims/", claim_views.claim_list, name="claim-list"),
    # A claim's page is its IRI: it also answers with the API's JSON or JSON-LD (claim_views).
    path(
        "claims/<str:public_id>/",
        claim_views.claim_detail,
        {"data_view": ClaimViewSet.as_view({"get": "retrieve"})},
        name="claim-detail",
    ),
    path("drugs/", entities.entity_list, {"kind": "drug"}, name="drug-list"),
    path("drugs/<slug:slug>/", entities.entity_detail, {"kind": "drug"}, name="drug-detail"),
    path("cargo/", entities.entity_list, {"kind": "cargo"}, name="cargo-list"),
    path("cargo/<slug:slug>/", entities.entity_detail, {"kind": "cargo"}, name="cargo-detail"),
    path("targets/", entities.entity_list, {"kind": "target"}, name="target-list"),
    path("targets/<slug:slug>/", entities.entity_detail, {"kind": "target"}, name="target-detail"),
    path("cell-lines/", entities.entity_list, {"kind": "cell-line"}, name="cell-line-list"),
    path("cell-lines/<slug:slug>/", entities.entity_detail, {"kind": "cell-line"}, name="cell-line-detail"),
    path("mechanisms/", entities.entity_list, {"kind": "mechanism"}, name="mechanism-list"),
    path("mechanisms/<slug:slug>/", entities.entity_detail, {"kind": "mechanism"}, name="mechanism-detail"),
    path("citations/", citations.citation_list, name="citation-list"),
    path("citations/<str:key>/", citations.citation_detail, name="citation-detail"),
    path("review/", review_reader.review, name="review"),
    path("disagreements/", disagreements.disagreement_list, name="disagreements"),
    path("terms", terms.terms, name="terms"),
    path("releases/", releases.release_list, name="release-list"),
    path("releases/<str:version>/", releases.release_detail, name="release-detail"),
    path("releases/<str:version>/<str:name>", releases.release_download, name="release-file"),
]

from claims.curation_urls import urlpatterns as curation_urlpatterns  # noqa: E402

# First, so that "claims/new/" is not taken for the public id "new" by claim-detail.
urlpatterns = curation_urlpatterns + urlpatterns

from claims.views import bibtex_upload  # noqa: E402

urlpatterns += [path("curate/bibtex/", bibtex_upload.bibtex_upload, name="bibtex-upload")]
