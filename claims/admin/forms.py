"""Admin forms for claims: the change form, the list-edit form and the bulk-action forms."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

from claims import vocabulary as v
from claims.models import Claim, Mechanism
from claims.services.claim_fields import CHANGE_REASON_MAX, FIELD_NAMES
from claims.services.claim_writes import StaleClaim, claim_check, claim_create, claim_update
from claims.services.workflow import REVIEW_DECISIONS

# Relations edited in the change form's inline rows rather than in fields of the form.
INLINE_RELATIONS = ("citations", "cell_lines")


class ClaimAdminForm(forms.ModelForm):
    """The admin's claim form: it collects a claim's fields (claim_fields.CLAIM_FIELDS), checks
    them with the claim service in ``clean()``, so the service's refusals show next to the
    fields they name before anything is saved, and ``save_claim`` writes through the service.

    The citations and cell lines come from the inline rows posted with it: ``posted_relations``
    is set by ClaimAdmin.get_form to read them ({name: value}, or None while a row is invalid).
    """

    occurrence = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        help_text="Only when the quote occurs more than once in the section: which one (1 = first).",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        label="Edit summary",
        required=False,
        max_length=CHANGE_REASON_MAX,
        help_text="Why you added or changed it, in a few words (shown in the claim's history).",
    )

    class Meta:
        model = Claim
        fields = [name for name in FIELD_NAMES if name not in (*INLINE_RELATIONS, "occurrence")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service_fields = self.stored_claim = None  # set by clean() when the service accepts
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    @staticmethod
    def posted_relations():
        """The relations posted beside the form's fields (none, unless ClaimAdmin sets this)."""
        return {}

    def clean_quote(self):
        return self.cleaned_data["quote"].replace("\r\n", "\n")

    def clean(self):
        cleaned = super().clean()
        # The service checks a whole claim: first its fields and inline rows must parse.
        if self.errors:
            return cleaned
        relations = self.posted_relations()
        if relations is None:
            return cleaned
        fields = {name: cleaned.get(name) for name in FIELD_NAMES if name in self.fields}
        fields.update({name: list(fields[name]) for name in ("drugs", "cargo", "targets")}, **relations)
        try:
            if self.instance.pk:
                # Locked until the admin's transaction ends, so the version checked is the one saved over.
                self.stored_claim = Claim.objects.select_for_update().get(pk=self.instance.pk)
                claim_check(claim=self.stored_claim, expected_version=cleaned["expected_version"], **fields)
            else:
                claim_check(**fields)
        except ValidationError as error:
            self.add_service_errors(error)
        except StaleClaim as stale:
            self.add_error(
                None, f"{stale}. Your input is kept below; saving again applies it over the other change."
            )
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_version")] = str(stale.claim.version)
        else:
            self.service_fields = fields
        return cleaned

    def add_service_errors(self, error):
        """Show a service ValidationError by the fields it names; the inline rows' refusals
        (citations, cell lines) above the form, named."""
        for name, messages in error.message_dict.items():
            if name in self.fields:
                self.add_error(name, messages)
            else:
                label = name.replace("_", " ").capitalize()
                self.add_error(None, [f"{label}: {m}" for m in messages])

    def save_claim(self, *, user):
        """Create or update the claim through the service, with the fields ``clean()`` checked."""
        reason = self.cleaned_data["change_reason"]
        if self.instance.pk:
            return claim_update(
                claim=self.stored_claim,
                user=user,
                expected_version=self.cleaned_data["expected_version"],
                change_reason=reason,
                **self.service_fields,
            )
        return claim_create(user=user, change_reason=reason, **self.service_fields)


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
