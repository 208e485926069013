from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from common.errors import DomainError
from runbooks import services
from runbooks.models import Runbook, RunbookAttachment
from runbooks.rendering import missing_sections, render_markdown


@admin.register(Runbook)
class RunbookAdmin(SimpleHistoryAdmin):
    """Saves go through runbooks.services so that validation and the review date stay
    in one place."""

    list_display = ["title", "team", "last_tested_at", "review_due_at", "stale_flagged_at"]
    list_filter = ["team"]
    search_fields = ["title", "body"]
    filter_horizontal = ["services"]
    readonly_fields = [
        "review_due_at",
        "stale_flagged_for",
        "stale_flagged_at",
        "created_at",
        "updated_at",
        "preview",
        "sections_missing",
    ]
    actions = ["mark_tested"]

    @admin.display(description="Rendered")
    def preview(self, obj: Runbook) -> str:
        from django.utils.safestring import mark_safe

        # render_markdown returns HTML sanitised by nh3.
        return mark_safe(render_markdown(obj.body))  # noqa: S308

    @admin.display(description="Missing sections")
    def sections_missing(self, obj: Runbook) -> str:
        from runbooks.models import REQUIRED_SECTIONS

        return ", ".join(missing_sections(obj.body, REQUIRED_SECTIONS)) or "none"

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        fields = {
            name: data[name]
            for name in services.EDITABLE_FIELDS
            if name in data and name != "services"
        }
        try:
            if not change:
                created = services.runbook_create(actor=request.user, team=data["team"], **fields)
                obj.pk = created.pk
            else:
                services.runbook_update(
                    runbook=obj.pk,
                    actor=request.user,
                    **{k: v for k, v in fields.items() if k in form.changed_data},
                )
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            raise
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        services.runbook_update(
            runbook=form.instance.pk,
            actor=request.user,
            services=list(form.cleaned_data.get("services") or []),
        )

    @admin.action(description="Mark selected runbooks as tested now")
    def mark_tested(self, request, queryset) -> None:
        for runbook in queryset:
            services.runbook_mark_tested(runbook=runbook, actor=request.user)
        self.message_user(request, f"Marked {queryset.count()} runbook(s) as tested.")


@admin.register(RunbookAttachment)
class RunbookAttachmentAdmin(SimpleHistoryAdmin):
    list_display = ["incident", "runbook", "score", "attached_at", "accurate"]
    list_filter = ["accurate"]
    list_select_related = ["incident__team", "runbook"]
    # The accuracy answer goes through runbooks.services.runbook_accuracy_answer (the
    # incident page, the API): it writes the timeline and may mark the runbook tested.
    readonly_fields = [
        "incident",
        "runbook",
        "matched_by",
        "score",
        "attached_at",
        "accurate",
        "accuracy_comment",
        "answered_by",
        "answered_at",
    ]
