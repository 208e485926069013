"""The weekly readiness e-mail to each team's managers, run by beat.

Once per team per ISO week: each manager's e-mail is an outbox message under the key
``readiness-weekly:<team>:<year>-W<week>:<user>``, written in the transaction that
computed the report, so running the task twice (or on two workers at once) writes each
message once; the outbox sends it after the commit, at least once, with a Message-ID
derived from the key. Teams are taken one at a time with ``FOR UPDATE SKIP LOCKED``: a
second run skips the team the first is busy with. Right before the send the outbox asks
whether the recipient still manages the team (``_prepare_weekly``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from oncall.teams.models import Team, TeamMembership, TeamRole
from oncall.teams.selectors import team_managers
from outbox.models import Message, Transport
from outbox.purposes import Purpose, purpose_register
from outbox.services import message_enqueue
from readiness.report.checks import ReadinessReport, readiness_report

logger = logging.getLogger(__name__)

WEEKLY_PURPOSE = "readiness.weekly_report"


def week_label(now: datetime) -> str:
    year, week, _ = now.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_key(*, team: Team, user_id: int, now: datetime) -> str:
    return f"readiness-weekly:{team.pk}:{week_label(now)}:{user_id}"


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def readiness_email(report: ReadinessReport) -> dict[str, str]:
    """Subject and plain text of the weekly e-mail (times in UTC: the reader's zone is
    not known)."""
    team = report.team
    count = report.problem_count
    status = f"{count} thing{'s' if count != 1 else ''} to fix" if count else "all clear"
    lines = [
        f"Readiness of {team.name}, week {week_label(report.generated_at)} "
        f"(as of {report.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC): {status}.",
        "",
    ]
    clean = []
    for section in report.sections:
        if not section.findings:
            clean.append(section.check.clean)
            continue
        lines.append(f"{section.check.title} ({len(section.findings)})")
        for finding in section.findings:
            lines.append(f"- {finding.subject}: {finding.problem}")
            if finding.periods:
                periods = ", ".join(
                    f"{start.astimezone(UTC):%a %d %b %H:%M}–{end.astimezone(UTC):%a %d %b %H:%M}"
                    for start, end in finding.periods
                )
                lines.append(f"  Nobody on call (UTC): {periods}")
            lines.append(f"  {finding.fix_label}: {_link(finding.fix_url)}")
        lines.append("")
    if clean:
        lines.append("All good:")
        lines += [f"- {sentence}" for sentence in clean]
        lines.append("")
    lines.append(f"The report: {_link(reverse('web:readiness-team', args=[team.pk]))}")
    lines.append("")
    lines.append("You receive this because you manage this team on Tocsin.")
    return {"subject": f"[Tocsin] Readiness of {team.name}: {status}", "text": "\n".join(lines)}


def readiness_email_weekly(*, now: datetime | None = None) -> dict[str, int]:
    """The weekly readiness e-mail of every team to its active managers who have an
    e-mail address; safe to run twice or concurrently (see the module's docstring).
    Returns how many teams were reported on and how many e-mails were written."""
    now = now or timezone.now()
    teams = emails = 0
    team_ids = list(
        Team.objects.filter(memberships__role=TeamRole.MANAGER, memberships__user__is_active=True)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for team_id in team_ids:
        with transaction.atomic():
            team = Team.objects.select_for_update(skip_locked=True).filter(pk=team_id).first()
            if team is None:
                continue  # another run holds it, or it was deleted
            recipients = {
                weekly_key(team=team, user_id=user.pk, now=now): user
                for user in team_managers(team=team).order_by("pk")
                if user.email
            }
            sent = set(
                Message.objects.filter(key__in=list(recipients)).values_list("key", flat=True)
            )
            due = {key: user for key, user in recipients.items() if key not in sent}
            if not due:
                continue
            content = readiness_email(readiness_report(team=team, now=now))
            teams += 1
            for key, user in due.items():
                message_enqueue(
                    key=key,
                    purpose=WEEKLY_PURPOSE,
                    transport=Transport.EMAIL,
                    address=user.email,
                    payload=content,
                    recipient=user,
                    group=f"readiness:{team.pk}",
                )
                emails += 1
    if emails:
        logger.info("Readiness e-mails: %s for %s teams", emails, teams)
    return {"teams": teams, "emails": emails}


def _prepare_weekly(message: Message) -> dict | None:
    """Not sent to someone who no longer manages the team (or was deactivated) since the
    report was written."""
    _, _, team_id = message.group.partition(":")
    if not team_id.isdigit() or message.recipient_id is None:
        return None
    still = TeamMembership.objects.filter(
        team_id=int(team_id),
        user_id=message.recipient_id,
        user__is_active=True,
        role=TeamRole.MANAGER,
    ).exists()
    return message.payload if still else None


def register() -> None:
    purpose_register(Purpose(WEEKLY_PURPOSE, prepare=_prepare_weekly))
