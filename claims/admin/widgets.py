"""Widgets for the claim changelist's list editing, and autocomplete widgets that survive bad keys."""

from django import forms
from django.contrib.admin import widgets
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

SELECTED = mark_safe(" selected")


class ListEditSelect(forms.Select):
    """A select drawn in Python rather than by the template engine.

    The changelist draws four selects per row, 4,100 options on a page of 100 claims; rendering
    each option through Django's select_option.html include took most of the page's time and wrote
    blank lines around every option. The markup is the same as Django's, minus the blank lines.
    """

    def render(self, name, value, attrs=None, renderer=None):
        if any(isinstance(label, (list, tuple)) for _, label in self.choices):
            return super().render(name, value, attrs, renderer)  # option groups: Django's own markup
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, SELECTED if str(key) in chosen else "", label) for key, label in self.choices),
        )
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attrs, options)


def _keys_only(field, values):
    """The posted values that could name a related row: Django's autocomplete widgets look the raw
    values up to draw a refused form again, and a non-number (or a number past the column's range)
    as an integer key made that lookup raise, a 500 instead of the form's own error."""
    target = field.remote_field.model._meta.get_field(
        getattr(field.remote_field, "field_name", None) or field.remote_field.model._meta.pk.name
    )
    keys = []
    for value in values:
        try:
            target.clean(value, None)
        except ValidationError:
            continue
        keys.append(value)
    return keys


class AutocompleteSelect(widgets.AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _keys_only(self.field, value), attr)


class AutocompleteSelectMultiple(widgets.AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _keys_only(self.field, value), attr)


class CheckedAutocompleteMixin(BaseModelAdmin):
    """For a ModelAdmin or inline with ``autocomplete_fields``: the widgets above instead of
    Django's, so a form posted with a key that is not one is refused with its error (issue 18.6)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
