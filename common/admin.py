"""Admin helpers shared by every app: a read-only admin, and putting a service's
validation errors on the inline forms they are about (inlines checked by the same service
function as the API, so both reject the same mistakes with the same messages)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError

from common.errors import InvalidInput


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def inline_forms_kept(formset: Any) -> list:
    """The inline forms that stay (with what of them is valid): not deleted, and either
    saved already or filled in."""
    return [
        form
        for form in formset.forms
        if hasattr(form, "cleaned_data")
        and not form.cleaned_data.get("DELETE")
        and (form.instance.pk or form.has_changed())
    ]


def inline_errors_from_service(
    forms: list, exc: InvalidInput, *, what: str, field_names: dict[str, str]
) -> None:
    """Put a service's errors (keyed ``<what>[i].field…``, ``i`` indexing ``forms``) on the
    inline forms they are about; ``field_names`` maps the service's field names to the
    form's where they differ. A form's field that has an error of its own keeps only that
    one. Errors about no form are raised as the formset's ValidationError."""
    general: list[str] = []
    for key, messages in exc.errors.items():
        index, _, rest = key.removeprefix(f"{what}[").partition("]")
        if not index.isdigit() or int(index) >= len(forms):
            general.extend(messages)
            continue
        form = forms[int(index)]
        field = field_names.get(rest.lstrip(".").split("[")[0], rest.lstrip(".").split("[")[0])
        if field in form.errors:
            continue  # the field's own check said it already
        form.add_error(field if field in form.fields else None, messages)
    if general:
        raise ValidationError(general)
