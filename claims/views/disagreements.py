"""/disagreements/: where the literature, as the review reports it, disagrees with itself."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from claims.disagreements import disagreements


@require_safe
def disagreement_list(request):
    return render(request, "claims/disagreements.html", {"disagreements": disagreements()})
