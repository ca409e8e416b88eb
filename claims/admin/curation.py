"""Admin for the curation trail: flags (resolved through the workflow) and status changes."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from claims.models import Flag, StatusChange
from claims.services.bulk import refusal_text
from claims.services.workflow import flag_can_resolve, flag_resolve


class ResolutionForm(forms.Form):
    resolution = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), label="How were they resolved?"
    )


class OpenFilter(admin.SimpleListFilter):
    title, parameter_name = "state", "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.action(description="Resolve the selected flags…", permissions=["resolve"])
def resolve_flags(model_admin, request, queryset):
    form = ResolutionForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        resolved = 0
        for flag in queryset.select_related("claim"):
            try:
                flag_resolve(flag=flag, user=request.user, resolution=form.cleaned_data["resolution"])
            except (ValidationError, PermissionDenied) as error:
                model_admin.message_user(
                    request, f"Flag on {flag.claim}: {refusal_text(error)}", messages.ERROR
                )
            else:
                resolved += 1
        model_admin.message_user(request, f"{resolved} flag{'s' if resolved != 1 else ''} resolved.")
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Resolve flags",
        "opts": model_admin.model._meta,
        "form": form,
        "action": "resolve_flags",
        "submit": "Resolve",
        "claims": [],
        "flags": queryset.select_related("claim"),
        "count": queryset.count(),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across") == "1",
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/claims/claim/action_form.html", context)


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """Flags are raised on the site and resolved here or there, always through the workflow."""

    list_display = ["claim", "kind", "text", "raised_by", "raised_at", "resolved_at", "resolution"]
    list_filter = [OpenFilter, "kind"]
    list_select_related = ["claim", "raised_by"]
    search_fields = ["claim__public_id", "text", "resolution"]
    readonly_fields = list_display + ["resolved_by"]
    actions = [resolve_flags]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_resolve_permission(self, request):
        return flag_can_resolve(request.user)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The record of every status transition (written only by the workflow)."""

    list_display = ["claim", "from_status", "to_status", "changed_by", "changed_at", "reason"]
    list_filter = ["to_status", "from_status"]
    list_select_related = ["claim", "changed_by"]
    search_fields = ["claim__public_id", "reason"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
