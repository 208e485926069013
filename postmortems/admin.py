from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from common.errors import DomainError
from oncall.teams.models import TeamMembership
from postmortems import services
from postmortems.models import (
    ActionItem,
    Amendment,
    ContributingFactor,
    FiveWhy,
    Postmortem,
    TimelineEntry,
)


class _PublishedReadOnlyInline(admin.TabularInline):
    extra = 0

    def _locked(self, obj) -> bool:
        return obj is not None and obj.is_published

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class FiveWhyInline(_PublishedReadOnlyInline):
    model = FiveWhy
    fields = ["position", "question", "answer"]


class ContributingFactorInline(_PublishedReadOnlyInline):
    model = ContributingFactor
    fields = ["position", "category", "description"]


class TimelineEntryInline(_PublishedReadOnlyInline):
    model = TimelineEntry
    fields = ["occurred_at", "description", "source_event"]
    readonly_fields = ["source_event"]  # set when entries are copied from the incident


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "priority", "due_date", "status", "completed_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AmendmentInline(admin.TabularInline):
    model = Amendment
    extra = 0
    fields = ["created_at", "author", "reason", "changes"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _not_members(team, users) -> list[str]:
    users = [u for u in users if u is not None]
    members = set(
        TeamMembership.objects.filter(team=team, user__in=users).values_list("user_id", flat=True)
    )
    return [u.get_username() for u in users if u.pk not in members]


class PostmortemAdminForm(forms.ModelForm):
    """The checks postmortem_update makes, as form errors instead of a failed save."""

    class Meta:
        model = Postmortem
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields

    def clean(self):
        data = super().clean()
        team = self.instance.incident.team
        for field in ("owner", "reviewers"):
            value = data.get(field)
            # An empty reviewers queryset is falsy: still a list of users (none).
            users = list(value or []) if field == "reviewers" else [value]
            outside = _not_members(team, users)
            if outside:
                self.add_error(field, f"Not a member of team {team.name}: {', '.join(outside)}.")
        return data


class ActionItemAdminForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].required = True

    def clean(self):
        data = super().clean()
        incident = data.get("incident") or (self.instance.incident_id and self.instance.incident)
        postmortem = data.get("postmortem")
        if postmortem is not None and incident and postmortem.incident_id != incident.pk:
            self.add_error("postmortem", "This postmortem belongs to another incident.")
        owner = data.get("owner")
        if incident and owner is not None and _not_members(incident.team, [owner]):
            self.add_error("owner", f"Not a member of team {incident.team.name}.")
        return data


# Inline model -> the postmortem_update argument that edits its rows.
_ROW_SECTIONS = {
    FiveWhy: "whys",
    ContributingFactor: "contributing_factors",
    TimelineEntry: "timeline_entries",
}


def _formset_rows(formset, name: str) -> list[dict]:
    """The rows an inline formset leaves, as postmortem_update takes them (``id`` for an
    existing row; rows left out are deleted), in the order of their ``position``."""
    spec = services.ROW_SPECS[name]
    kept = [
        form
        for form in formset.forms
        if (form.instance.pk or form.has_changed())
        and not (formset.can_delete and formset._should_delete_form(form))
    ]
    if spec.ordered:
        kept.sort(key=lambda form: form.cleaned_data.get("position") or 0)
    rows = []
    for form in kept:
        row = {field: form.cleaned_data.get(field) for field in spec.fields}
        if form.instance.pk:
            row["id"] = form.instance.pk
        rows.append(row)
    return rows


def _problem(exc: DomainError) -> str:
    detail = exc.detail
    if exc.errors:
        detail += " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
    return detail


@admin.register(Postmortem)
class PostmortemAdmin(SimpleHistoryAdmin):
    """Sections are edited through postmortems.services.postmortem_update (so a
    published postmortem stays read-only); status moves only through the actions."""

    list_display = [
        "incident",
        "status",
        "owner",
        "due_at",
        "sla_breached_at",
        "escalated_at",
        "published_at",
    ]
    list_filter = ["status", "required", "incident__team", "incident__severity"]
    search_fields = ["incident__title", "summary", "root_cause"]
    list_select_related = ["incident__team", "owner"]
    form = PostmortemAdminForm
    autocomplete_fields = ["owner", "reviewers"]
    readonly_fields = [
        "incident",
        "status",
        "required",
        "due_at",
        "sla_breached_at",
        "escalated_at",
        "submitted_at",
        "published_at",
        "approved_by",
        "follow_up_review_date",
        "confirmed_blameless_warnings",
        "created_at",
    ]
    inlines = [
        TimelineEntryInline,
        FiveWhyInline,
        ContributingFactorInline,
        ActionItemInline,
        AmendmentInline,
    ]
    actions = ["submit", "publish"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Drafts come from resolving incidents or POST /api/v1/postmortems/.
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return [f.name for f in obj._meta.fields] + ["reviewers"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.EDITABLE_FIELDS
        }
        if "reviewers" in fields:
            fields["reviewers"] = list(fields["reviewers"])
        if fields:
            services.postmortem_update(postmortem=obj.pk, actor=request.user, **fields)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        """postmortem_update saved the fields and reviewers; the whys, contributing
        factors and timeline go through it too (locked, recorded, refused once
        published), as whole lists like the API sends them."""
        sections = {}
        for formset in formsets:
            name = _ROW_SECTIONS.get(formset.model)
            if name is None:  # read-only inlines (action items, amendments)
                self.save_formset(request, form, formset, change=change)
                continue
            # What Django's change message reads after a formset's own save().
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.has_changed():
                sections[name] = _formset_rows(formset, name)
        if not sections:
            return
        try:
            services.postmortem_update(postmortem=form.instance.pk, actor=request.user, **sections)
        except DomainError as exc:
            self.message_user(request, _problem(exc), messages.ERROR)

    def _run(self, request, queryset: QuerySet, action, verb: str) -> None:
        done = 0
        for postmortem in queryset:
            try:
                action(postmortem=postmortem, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(
                    request, f"{postmortem.incident}: {_problem(exc)}", messages.WARNING
                )
        if done:
            self.message_user(request, f"{verb} {done} postmortem(s).", messages.SUCCESS)

    @admin.action(description="Submit selected postmortems for review")
    def submit(self, request, queryset) -> None:
        self._run(request, queryset, services.postmortem_submit, "Submitted")

    @admin.action(description="Publish selected postmortems (no blameless warnings)")
    def publish(self, request, queryset) -> None:
        self._run(request, queryset, services.postmortem_publish, "Published")


@admin.register(ActionItem)
class ActionItemAdmin(SimpleHistoryAdmin):
    list_display = ["title", "incident", "owner", "priority", "due_date", "status", "completed_at"]
    list_filter = ["status", "priority", "kind", "incident__team"]
    search_fields = ["title", "description", "incident__title"]
    list_select_related = ["incident__team", "owner"]
    form = ActionItemAdminForm
    autocomplete_fields = ["owner"]
    raw_id_fields = ["incident", "postmortem"]
    readonly_fields = [
        "status",
        "wont_do_reason",
        "completed_at",
        "marked_overdue_at",
        "created_by",
        "created_at",
    ]
    actions = ["mark_in_progress", "mark_done"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "incident", "postmortem"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if not change:
            created = services.action_item_create(
                actor=request.user,
                incident=data.get("incident"),
                postmortem=data.get("postmortem"),
                title=data["title"],
                description=data.get("description", ""),
                owner=data.get("owner"),
                priority=data["priority"],
                due_date=data["due_date"],
                kind=data["kind"],
                tracker_url=data.get("tracker_url", ""),
            )
            obj.pk = created.pk
        else:
            fields = {
                name: data[name]
                for name in form.changed_data
                if name in services.ACTION_ITEM_EDITABLE_FIELDS
            }
            if fields:
                services.action_item_update(item=obj.pk, actor=request.user, **fields)
        obj.refresh_from_db()

    def _set(self, request, queryset, status: str) -> None:
        for item in queryset:
            try:
                services.action_item_set_status(item=item, actor=request.user, status=status)
            except DomainError as exc:
                self.message_user(request, f"{item}: {exc.detail}", messages.WARNING)

    @admin.action(description="Mark selected items in progress")
    def mark_in_progress(self, request, queryset) -> None:
        self._set(request, queryset, "in_progress")

    @admin.action(description="Mark selected items done")
    def mark_done(self, request, queryset) -> None:
        self._set(request, queryset, "done")


@admin.register(Amendment)
class AmendmentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "postmortem", "author", "reason"]
    list_select_related = ["postmortem__incident__team", "author"]
    search_fields = ["reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
