"""The claim and citation FilterSets copy their filters one level deep per instance and build the
form class of a set of filters once (claims.filters.LeanFilterSet), where django-filter deep-copies
every filter and builds a new form class on every request (issue 16). Nothing one request sets
may reach another's."""

import pytest
from django.http import QueryDict

from claims import filters
from claims.filters import ClaimFilter, filtered_claims
from claims.models import Claim

pytestmark = pytest.mark.django_db


def test_each_instance_has_its_own_filters_pointing_at_itself():
    first, second = filtered_claims(QueryDict("background=hide")), filtered_claims(QueryDict(""))
    for name in ClaimFilter.base_filters:
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name] is not ClaimFilter.base_filters[name]
        assert first.filters[name].parent is first and second.filters[name].parent is second
    # A filter with ``method=`` filters through its own copy (its parent's method).
    background = first.filters["background"]
    assert background.method == "filter_background" and background.filter.f is background
    assert first.is_valid() and second.is_valid()
    assert first.qs.count() < second.qs.count() == Claim.objects.count()


def test_what_a_search_resolves_stays_with_its_request():
    doxorubicin, tamoxifen = (
        filtered_claims(QueryDict("q=doxorubicin")),
        filtered_claims(QueryDict("q=tamoxifen")),
    )
    assert doxorubicin.is_valid() and tamoxifen.is_valid()
    named = doxorubicin.filters["q"].named("doxorubicin")
    assert named["doxorubicin"].get("drugs"), named
    assert tamoxifen.filters["q"]._resolved[0] != "doxorubicin"
    assert "_resolved" not in vars(ClaimFilter.base_filters["q"])


def test_the_form_class_of_a_set_of_filters_is_built_once_and_the_forms_are_apart():
    first, second = filtered_claims(QueryDict("drug=doxorubicin")), filtered_claims(QueryDict("drug=nope"))
    assert type(first.form) is type(second.form)
    assert first.form is not second.form and first.form.fields["drug"] is not second.form.fields["drug"]
    assert first.is_valid() and not second.is_valid() and "drug" in second.errors
    assert first.is_valid(), "one form's errors are not another's"


def test_form_classes_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(filters, "_FORM_CLASSES_KEPT", 2)
    monkeypatch.setattr(ClaimFilter, "_form_classes", {}, raising=False)
    forms = []
    for names in (["drug"], ["cargo"], ["target"], ["target"]):
        filterset = ClaimFilter.__new__(ClaimFilter)
        filterset.base_filters = {name: ClaimFilter.base_filters[name] for name in names}
        ClaimFilter.__init__(filterset, QueryDict(""), queryset=Claim.objects.all())
        forms.append(type(filterset.form))
    assert len(ClaimFilter._form_classes) == 2
    assert forms[2] is not forms[3], "past the bound, a set's form class is built for each request"
