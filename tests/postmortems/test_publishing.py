"""Publishing rules, read-only after publish, amendments, markdown export."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from common.errors import AccessDenied, Conflict, InvalidInput
from postmortems import markdown, selectors, services
from postmortems.models import Amendment, PostmortemStatus
from tests.postmortems.factories import ActionItemFactory, ready_to_publish

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_publishing_requires_summary_root_cause_and_a_why(postmortem, member):
    services.postmortem_update(postmortem=postmortem, actor=member, summary="")
    services.postmortem_submit(postmortem=postmortem, actor=member)
    with pytest.raises(InvalidInput) as excinfo:
        services.postmortem_publish(postmortem=postmortem, actor=member)
    assert set(excinfo.value.errors) == {"summary", "root_cause", "whys"}

    services.postmortem_update(
        postmortem=postmortem,
        actor=member,
        summary="Checkout errors",
        root_cause="Pool exhausted",
        whys=[{"question": "Why?", "answer": ""}],
    )
    with pytest.raises(InvalidInput) as excinfo:
        services.postmortem_publish(postmortem=postmortem, actor=member)
    assert set(excinfo.value.errors) == {"whys"}  # a why needs an answer


def test_publishing_requires_action_items_with_owner(postmortem, member, django_user_model):
    ready_to_publish(postmortem, member)
    item = ActionItemFactory(actor=member, postmortem=postmortem, owner=member, title="Canary")
    services.postmortem_submit(postmortem=postmortem, actor=member)
    member_id = member.pk
    # The owner's account is deleted: the item keeps existing, without an owner.
    item.owner = None
    item.save(update_fields=["owner"])
    with pytest.raises(InvalidInput) as excinfo:
        services.postmortem_publish(postmortem=postmortem, actor=member)
    assert excinfo.value.errors == {"action_items": ["'Canary' needs an owner."]}
    services.action_item_update(
        item=item, actor=member, owner=django_user_model.objects.get(pk=member_id)
    )
    services.postmortem_publish(postmortem=postmortem, actor=member)


def test_publish_only_from_review(postmortem, member):
    ready_to_publish(postmortem, member)
    with pytest.raises(Conflict, match="from draft to published"):
        services.postmortem_publish(postmortem=postmortem, actor=member)


def test_publish_sets_approver_and_follow_up_review(postmortem, member, manager):
    ready_to_publish(postmortem, member)
    services.postmortem_update(postmortem=postmortem, actor=member, reviewers=[manager])
    services.postmortem_submit(postmortem=postmortem, actor=member)
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        published = services.postmortem_publish(postmortem=postmortem, actor=manager)
    assert published.status == PostmortemStatus.PUBLISHED
    assert published.published_at == T0 + timedelta(hours=30)
    assert published.approved_by == manager
    assert published.follow_up_review_date == date(2026, 4, 2)
    assert published.confirmed_blameless_warnings == []
    assert published.history.order_by("-history_id").first().history_user == manager


def test_blameless_warnings_need_a_confirmation_recorded_in_history(postmortem, member):
    ready_to_publish(postmortem, member)
    services.postmortem_update(
        postmortem=postmortem, actor=member, root_cause="Human error: marco forgot the flag."
    )
    services.postmortem_submit(postmortem=postmortem, actor=member)
    with pytest.raises(Conflict) as excinfo:
        services.postmortem_publish(postmortem=postmortem, actor=member)
    rules = [w["rule"] for w in excinfo.value.extra["warnings"]]
    assert rules == ["human_error", "forgot", "name"]
    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.IN_REVIEW

    published = services.postmortem_publish(
        postmortem=postmortem, actor=member, confirm_blameless_warnings=True
    )
    assert [w["rule"] for w in published.confirmed_blameless_warnings] == rules
    record = published.history.order_by("-history_id").first()
    assert record.history_change_reason == (
        "Published with 3 blameless warning(s) confirmed by marco"
    )
    assert record.history_user == member


def test_published_is_read_only_except_by_recorded_amendment(postmortem, member):
    ready_to_publish(postmortem, member)
    services.postmortem_submit(postmortem=postmortem, actor=member)
    services.postmortem_publish(postmortem=postmortem, actor=member)
    with pytest.raises(Conflict, match="read-only"):
        services.postmortem_update(postmortem=postmortem, actor=member, summary="Rewritten")
    with pytest.raises(Conflict):
        services.postmortem_update(
            postmortem=postmortem, actor=member, whys=[{"question": "Q", "answer": "A"}]
        )
    amended = services.postmortem_update(
        postmortem=postmortem,
        actor=member,
        amendment_reason="Revenue figure confirmed by finance",
        estimated_revenue_loss="1200.50",
    )
    amended.refresh_from_db()
    assert str(amended.estimated_revenue_loss) == "1200.50"
    amendment = Amendment.objects.get(postmortem=postmortem)
    assert amendment.author == member
    assert amendment.changes == {"estimated_revenue_loss": [None, "1200.50"]}
    assert amended.history.order_by("-history_id").first().history_change_reason == (
        "Amendment: Revenue figure confirmed by finance"
    )
    assert amended.status == PostmortemStatus.PUBLISHED


def test_nested_rows_are_updated_added_reordered_and_deleted(postmortem, member):
    services.postmortem_update(
        postmortem=postmortem,
        actor=member,
        whys=[{"question": "Q1", "answer": "A1"}, {"question": "Q2", "answer": "A2"}],
        contributing_factors=[{"category": "technology", "description": "No canary"}],
    )
    first, second = postmortem.whys.order_by("position")
    services.postmortem_update(
        postmortem=postmortem,
        actor=member,
        whys=[
            {"id": second.pk, "question": "Q2", "answer": "A2 edited"},
            {"question": "Q3", "answer": "A3"},
        ],
    )
    rows = list(postmortem.whys.order_by("position").values_list("id", "question", "answer"))
    assert rows[0] == (second.pk, "Q2", "A2 edited")
    assert rows[1][1:] == ("Q3", "A3")
    assert len(rows) == 2
    assert first.history.model.objects.filter(id=first.pk, history_type="-").exists()
    with pytest.raises(InvalidInput):
        services.postmortem_update(
            postmortem=postmortem, actor=member, whys=[{"id": 999_999, "question": "x"}]
        )


def test_owner_and_reviewers_must_be_team_members(postmortem, member, outsider):
    with pytest.raises(InvalidInput) as excinfo:
        services.postmortem_update(postmortem=postmortem, actor=member, reviewers=[outsider])
    assert "reviewers" in excinfo.value.errors
    with pytest.raises(InvalidInput) as excinfo:
        services.postmortem_update(postmortem=postmortem, actor=member, owner=outsider)
    assert "owner" in excinfo.value.errors
    with pytest.raises(AccessDenied):
        services.postmortem_update(postmortem=postmortem, actor=outsider, summary="x")


def test_markdown_export_contains_every_section(postmortem, member, manager):
    ready_to_publish(postmortem, member)
    services.postmortem_update(
        postmortem=postmortem,
        actor=member,
        users_affected=1200,
        failed_operations=3400,
        estimated_revenue_loss="5000.00",
        support_tickets=17,
        impact="Card payments failed in the EU.",
        what_went_well="Rollback took 3 minutes.",
        what_went_wrong="The alert fired late.",
        lessons_technical="Validate pool limits.",
        lessons_process="Canary every config change.",
        lessons_communication="Post the status page sooner.",
        supporting_data="https://grafana.example.com/d/pool",
        contributing_factors=[
            {"category": "technology", "description": "No schema check | on config"},
            {"category": "process", "description": "Config changes skip canary"},
        ],
        reviewers=[manager],
    )
    ActionItemFactory(
        actor=member, postmortem=postmortem, owner=member, title="Add pool limit validation"
    )
    text = markdown.render(selectors.postmortem_get(user=member, postmortem_id=postmortem.pk))
    for heading in (
        "# Postmortem: PAY-1 Something is broken",
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Root cause",
        "## Five whys",
        "## Contributing factors",
        "### People",
        "### Process",
        "### Technology",
        "### Environment",
        "### External",
        "## What went well",
        "## What went wrong",
        "## Lessons learned",
        "### Technical",
        "### Communication",
        "## Action items",
        "## Supporting data and references",
        "## Review",
    ):
        assert f"\n{heading}" in f"\n{text}", heading
    assert "- **Severity:** SEV1 (critical)" in text
    assert "- **Users affected:** 1200" in text
    assert "- **Estimated revenue loss:** 5000.00" in text
    assert "1. **Why did checkout fail?**" in text
    assert "| Action | Owner | Priority | Due date | Status |" in text
    assert "| Add pool limit validation | marco | P1 | 2026-03-10 | Open |" in text
    assert "- No schema check \\| on config" not in text  # pipes only escaped in tables
    assert "- No schema check | on config" in text
    assert "Declared: PAY-1 declared as SEV1" in text
    assert "- **Reviewed by:** priya" in text
