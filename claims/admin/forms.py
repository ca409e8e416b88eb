"""Admin forms for claims: the change form, the list-edit form and the bulk-action forms."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect

from claims import vocabulary as v
from claims.models import Claim, Mechanism
from claims.services.workflow import REVIEW_DECISIONS


class ClaimAdminForm(forms.ModelForm):
    """Edits go through claim_create / claim_update (see ClaimAdmin); this form only collects them.

    ``service_errors`` is set on a second rendering when the service refused the first one, so
    its errors appear next to the fields they name.
    """

    occurrence = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        help_text="Only when the quote occurs more than once in the section: which one (1 = first).",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    service_errors = {}

    class Meta:
        model = Claim
        fields = [
            "section",
            "quote",
            "statement",
            "drugs",
            "cargo",
            "cargo_intervention",
            "targets",
            "exosome_source",
            "mechanism",
            "therapy_class",
            "direction",
            "model",
            "citation_support",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean_quote(self):
        return self.cleaned_data["quote"].replace("\r\n", "\n")

    def clean(self):
        cleaned = super().clean()
        for name, messages in self.service_errors.items():
            if name in self.fields:
                self.add_error(name, messages)
            else:
                label = (name or "").replace("_", " ").capitalize()
                self.add_error(None, [f"{label}: {m}" if label else m for m in messages])
        return cleaned


def list_edit_form(base, mechanism_choices, *, can_review=True):
    """The changelist's list_editable form, hardened for concurrent editing.

    Without ``can_review`` (curators), a row's status select offers only the statuses a curator may
    set, plus the row's own: offering "approved" and then refusing it helps nobody.

    Every field also sends the value the curator saw (show_hidden_initial), so a change is what
    they changed, never a revert of someone else's change made since the page was loaded. The
    mechanism is a plain select with choices read once per page: an autocomplete widget per row
    would cost a query per row.
    """

    class ClaimListEditForm(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.show_hidden_initial = True
            mechanism = self.fields["mechanism"]
            mechanism.widget = forms.Select()
            mechanism.choices = mechanism_choices
            # A column header labels no control: each select says what and which claim it sets.
            for field in self.fields.values():
                field.widget.attrs["aria-label"] = f"{field.label} of {self.instance.public_id}"
            if not can_review:
                status = self.fields["status"]
                own = self.instance.status if self.instance.pk else None
                status.choices = [
                    (value, label)
                    for value, label in status.choices
                    if value not in REVIEW_DECISIONS or value == own
                ]

        def seen_value(self, name):
            """The value of ``name`` as the curator saw it when the list was loaded."""
            field = self.fields[name]
            raw = field.hidden_widget().value_from_datadict(
                self.data, self.files, self.add_initial_prefix(name)
            )
            return field.to_python(raw)

    return ClaimListEditForm


def mechanism_choices():
    return [("", "---------"), *Mechanism.objects.order_by("name").values_list("pk", "name")]


class ApproveForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        max_length=5000,
        help_text="Optional; kept with each claim's status change.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Say what is wrong."
    )


class TherapyClassForm(forms.Form):
    therapy_class = forms.ChoiceField(choices=v.TherapyClass.choices)


class CitationSupportForm(forms.Form):
    citation_support = forms.ChoiceField(choices=v.CitationSupport.choices)


def related_form(admin_site, field_name, label):
    """A one-field form choosing a drug, cargo or mechanism with the admin's autocomplete."""
    field = Claim._meta.get_field(field_name)
    chooser = forms.ModelChoiceField(
        queryset=field.related_model.objects.all(), label=label, widget=AutocompleteSelect(field, admin_site)
    )
    return type("RelatedForm", (forms.Form,), {"entity": chooser})
