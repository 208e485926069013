"""A read-only view of the outbox, for staff chasing a message that did not arrive."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from outbox.models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "purpose",
        "transport",
        "address",
        "urgency",
        "status",
        "attempts",
        "due_at",
        "sent_at",
    ]
    list_filter = ["status", "transport", "purpose", "urgency"]
    search_fields = ["key", "address", "recipient__username", "group"]
    exclude = ["payload"]
    readonly_fields = ["payload_summary"]

    @admin.display(description="Content")
    def payload_summary(self, obj: Message) -> str:
        return str(obj.payload.get("subject") or obj.payload.get("text") or "")[:500]
