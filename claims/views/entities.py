"""Pages for drugs, cargo, targets, cell lines and mechanisms: what each is, and the claims about it."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from claims.models import Cargo, CellLine, Drug, Mechanism, Target
from claims.views.browse import claim_browser, render_browser

ENTITIES_PER_PAGE = 100


@dataclass(frozen=True)
class EntityKind:
    model: type
    parameter: str  # the claim filter that selects this entity's claims
    noun: str
    plural: str
    list_url_name: str


KINDS = {
    "drug": EntityKind(Drug, "drug", "Drug", "Drugs", "claims:drug-list"),
    "cargo": EntityKind(Cargo, "cargo", "Cargo", "Cargo", "claims:cargo-list"),
    "target": EntityKind(Target, "target", "Target", "Targets", "claims:target-list"),
    "cell-line": EntityKind(CellLine, "cell_line", "Cell line", "Cell lines", "claims:cell-line-list"),
    "mechanism": EntityKind(Mechanism, "mechanism", "Mechanism", "Mechanisms", "claims:mechanism-list"),
}


def _entity_queryset(kind):
    if kind.model in (CellLine, Mechanism):
        return kind.model.objects.select_related("parent")
    return kind.model.objects.all()


def _narrower(entity):
    """Derived cell lines or narrower mechanisms (one query), for the models that nest."""
    if isinstance(entity, CellLine):
        return list(entity.derived.only("slug", "name"))
    if isinstance(entity, Mechanism):
        return list(entity.children.only("slug", "name"))
    return []


@require_safe
def entity_detail(request, slug, *, kind):
    kind = KINDS[kind]
    entity = get_object_or_404(_entity_queryset(kind), slug=slug)
    browser = claim_browser(request, fixed={kind.parameter: entity.slug})
    context = {
        "entity": entity,
        "kind": kind,
        "browser": browser,
        "narrower": _narrower(entity),
        "list_url": reverse(kind.list_url_name),
    }
    return render_browser(request, "claims/entity_detail.html", context)


@require_safe
def entity_list(request, *, kind):
    kind = KINDS[kind]
    entities = _entity_queryset(kind).with_claim_counts().order_by("-claim_count", "name")
    page = Paginator(entities, ENTITIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "claims/entity_list.html", {"page": page, "kind": kind})
