"""Importing another product's on-call setup: plan (read the source, compare with Tocsin),
then apply the plan as it was shown.

``import_plan`` talks to the source over the network and so runs outside any transaction;
``import_apply`` talks to nothing outside and writes everything in one transaction,
through the oncall and incidents services (which check what they always check), or
nothing: if Tocsin changed since the plan in a way that clashes, it raises and rolls back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from common.errors import AccessDenied, DomainError, InvalidInput
from common.history import attribute_history
from incidents.alerts.models import Integration, routing_key_hash
from incidents.alerts.services.integrations import integration_create
from incidents.imports.bundle import Bundle
from incidents.imports.models import ImportedObject
from incidents.imports.plan import (
    CREATE,
    INTEGRATION,
    MATCH,
    MEMBERSHIP,
    OVERRIDE,
    PERSON,
    POLICY,
    SCHEDULE,
    SERVICE,
    SKIP,
    TEAM,
    UPDATE,
    Current,
    Plan,
    PlanItem,
    plan_make,
)
from incidents.imports.sources import SOURCE_LABELS, source_reader
from incidents.models import Service
from incidents.services.catalog import service_create
from oncall.audit.services import audit_record
from oncall.contacts.services import (
    contact_method_create,
    notification_rule_create,
    oncall_preference_set,
)
from oncall.policies.models import EscalationPolicy
from oncall.policies.services import escalation_policy_create, escalation_policy_update
from oncall.schedules.models import Schedule, ScheduleOverride
from oncall.schedules.selectors import parse_hhmm
from oncall.schedules.services import override_create, schedule_create, schedule_update
from oncall.teams.models import Team, TeamMembership
from oncall.teams.services import team_create, team_member_add

IMPORT_APPLIED = "import.applied"

# The Tocsin model each plan kind becomes (memberships are found by team and person).
KIND_MODELS: dict[str, type[models.Model]] = {
    PERSON: get_user_model(),
    TEAM: Team,
    SCHEDULE: Schedule,
    OVERRIDE: ScheduleOverride,
    POLICY: EscalationPolicy,
    SERVICE: Service,
    INTEGRATION: Integration,
}


def _require_staff(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_staff", False):
        raise AccessDenied("Only staff can import from another on-call product.")


def import_current(*, source: str) -> Current:
    """The rows an import of ``source`` is compared with (a fixed number of queries)."""
    user_model = get_user_model()
    current = Current()
    for pk, email, username, active in user_model.objects.order_by("pk").values_list(
        "pk", "email", "username", "is_active"
    ):
        address = (email or "").strip().lower()
        if address and active:
            current.users_by_email.setdefault(address, pk)
        elif address:
            current.inactive_emails.add(address)
        current.usernames.add(username.lower())
    for pk, name, slug, key in Team.objects.values_list("pk", "name", "slug", "key"):
        current.teams_by_name[name.lower()] = pk
        current.team_slugs.add(slug)
        current.team_keys.add(key)
    current.memberships = set(TeamMembership.objects.values_list("team_id", "user_id"))
    current.schedules = {
        (team_id, name.lower()): pk
        for pk, team_id, name in Schedule.objects.values_list("pk", "team_id", "name")
    }
    current.policies = {
        (team_id, name.lower()): pk
        for pk, team_id, name in EscalationPolicy.objects.values_list("pk", "team_id", "name")
    }
    current.services = {
        (team_id, slug): pk
        for pk, team_id, slug in Service.objects.values_list("pk", "team_id", "slug")
    }
    for pk, team_id, name, digest in Integration.objects.values_list(
        "pk", "team_id", "name", "routing_key_hash"
    ):
        current.integration_names[(team_id, name.lower())] = pk
        current.routing_key_hashes[digest] = pk
    types = ContentType.objects.get_for_models(*KIND_MODELS.values())
    kind_of_type = {types[model].pk: kind for kind, model in KIND_MODELS.items()}
    rows = list(
        ImportedObject.objects.filter(source=source).values_list(
            "content_type_id", "external_id", "object_id", "fingerprint"
        )
    )
    existing: dict[str, set[int]] = {}
    for kind, model in KIND_MODELS.items():
        wanted = [r[2] for r in rows if kind_of_type.get(r[0]) == kind]
        if wanted:
            existing[kind] = set(
                model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True)
            )
    for type_id, external_id, object_id, fingerprint in rows:
        found = kind_of_type.get(type_id)
        if found is not None and object_id in existing.get(found, ()):
            current.imported[(found, external_id)] = (object_id, fingerprint)
    # An address with an active account is matched, even if a deactivated one shares it.
    current.inactive_emails -= set(current.users_by_email)
    return current


def import_plan_for_bundle(*, bundle: Bundle, now: datetime.datetime | None = None) -> Plan:
    """The plan for an already-read bundle (the other half of ``import_plan``)."""
    now = now or timezone.now()
    label = SOURCE_LABELS.get(bundle.source, bundle.source)
    return plan_make(
        bundle=bundle, current=import_current(source=bundle.source), now=now, label=label
    )


def import_plan(
    *,
    actor: AuthUser,
    source: str,
    token: str,
    base_url: str = "",
    team_ids: tuple[str, ...] = (),
) -> Plan:
    """Read ``source`` (network; never inside a transaction) and plan what importing it
    would do. Raises SourceError when the source cannot be read."""
    _require_staff(actor)
    if not token.strip():
        raise InvalidInput("A token is needed to read the source.", errors={"token": ["Required."]})
    reader = source_reader(source)
    now = timezone.now()
    bundle: Bundle = reader(
        token=token.strip(), base_url=base_url.strip(), team_ids=team_ids, now=now
    )
    return import_plan_for_bundle(bundle=bundle, now=now)


@dataclass
class ApplyResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    # What the plan held but a service refused (a contact method Tocsin cannot use …).
    warnings: list[str] = field(default_factory=list)
    # (integration name, routing key) of integrations whose source key could not be kept:
    # the only time these keys are shown.
    new_keys: list[tuple[str, str]] = field(default_factory=list)

    def count(self, table: dict[str, int], kind: str) -> None:
        table[kind] = table.get(kind, 0) + 1


class _Applier:
    def __init__(self, plan: Plan, actor: Any, now: datetime.datetime) -> None:
        self.plan = plan
        self.actor = actor
        self.now = now
        self.ids: dict[str, int] = {}
        self.result = ApplyResult()
        models_ = list(KIND_MODELS.values())
        types = ContentType.objects.get_for_models(*models_)
        self.types = {kind: types[model] for kind, model in KIND_MODELS.items()}

    def ref(self, ref: str) -> int:
        try:
            return self.ids[ref]
        except KeyError:
            raise InvalidInput(f"The plan refers to {ref}, which it does not import.") from None

    def record(self, item: PlanItem, object_id: int) -> None:
        self.ids[item.ref] = object_id
        if item.kind == MEMBERSHIP:
            return
        row, created = ImportedObject.objects.select_for_update().get_or_create(
            source=self.plan.source,
            external_id=item.external_id,
            content_type=self.types[item.kind],
            defaults={
                "object_id": object_id,
                "fingerprint": item.fingerprint,
                "imported_at": self.now,
                "last_run": self.now,
            },
        )
        if not created:
            row.object_id = object_id
            # Only what this import wrote gets a new fingerprint: a row matched by name
            # keeps "" and so is never rewritten by a later import.
            if item.action in (CREATE, UPDATE):
                row.fingerprint = item.fingerprint
            row.last_run = self.now
            row.save(update_fields=["object_id", "fingerprint", "last_run"])

    def run(self) -> ApplyResult:
        for item in self.plan.items:
            if item.action == SKIP:
                self.result.count(self.result.skipped, item.kind)
                continue
            if item.action == MATCH:
                if item.target_id is not None:
                    self.record(item, item.target_id)
                self.result.count(self.result.matched, item.kind)
                continue
            handler = getattr(self, f"_{item.action}_{item.kind}")
            object_id = handler(item)
            self.record(item, object_id)
            table = self.result.created if item.action == CREATE else self.result.updated
            self.result.count(table, item.kind)
        return self.result

    # --- creates ---------------------------------------------------------------------

    def _create_person(self, item: PlanItem) -> int:
        spec = item.spec
        user_model = get_user_model()
        user = user_model.objects.create_user(
            username=spec["username"],
            email=spec["email"],
            password=None,  # unusable: single sign-on, or "Forgot password"
            first_name=spec["first_name"],
            last_name=spec["last_name"],
        )
        EmailAddress.objects.create(user=user, email=spec["email"], primary=True, verified=False)
        if spec["time_zone"]:
            oncall_preference_set(
                actor=user,
                notify_hours_before_shift=None,
                notify_at_shift_end=False,
                time_zone=spec["time_zone"],
            )
        methods: dict[str, int] = {}
        for method in spec["contact_methods"]:
            try:
                with transaction.atomic():
                    created = contact_method_create(
                        actor=user,
                        kind=method["kind"],
                        address=method["address"],
                        label=method["label"],
                    )
            except DomainError as error:
                self.result.warnings.append(
                    f"{item.name}: contact method {method['external_id']} not imported: "
                    f"{_messages(error)}"
                )
                continue
            methods[method["external_id"]] = created.pk
        for rule in spec["notification_rules"]:
            if rule["contact_method"] not in methods:
                continue
            try:
                with transaction.atomic():
                    notification_rule_create(
                        actor=user,
                        urgency=rule["urgency"],
                        delay_minutes=rule["delay"],
                        contact_method_id=methods[rule["contact_method"]],
                    )
            except DomainError as error:
                self.result.warnings.append(
                    f"{item.name}: a notification rule not imported: {_messages(error)}"
                )
        return user.pk

    def _create_team(self, item: PlanItem) -> int:
        spec = item.spec
        team = team_create(
            actor=self.actor,
            name=spec["name"],
            slug=spec["slug"],
            key=spec["key"],
            description=spec["description"],
        )
        return team.pk

    def _create_membership(self, item: PlanItem) -> int:
        team = Team.objects.get(pk=self.ref(item.spec["team"]))
        membership = team_member_add(
            actor=self.actor,
            team=team,
            user_id=self.ref(item.spec["person"]),
            role=item.spec["role"],
        )
        return membership.pk

    def _layers(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                **layer,
                "handoff_time": parse_hhmm(layer["handoff_time"]),
                "start": datetime.date.fromisoformat(layer["start"]),
                "users": [self.ref(user) for user in layer["users"]],
            }
            for layer in spec["layers"]
        ]

    def _create_schedule(self, item: PlanItem) -> int:
        spec = item.spec
        schedule = schedule_create(
            actor=self.actor,
            team=Team.objects.get(pk=self.ref(spec["team"])),
            name=spec["name"],
            time_zone=spec["time_zone"],
            description=spec["description"],
            layers=self._layers(spec),
        )
        return schedule.pk

    def _update_schedule(self, item: PlanItem) -> int:
        spec = item.spec
        schedule = Schedule.objects.get(pk=_target(item))
        schedule_update(
            actor=self.actor,
            schedule=schedule,
            layers=self._layers(spec),
            time_zone=spec["time_zone"],
            description=spec["description"],
        )
        return schedule.pk

    def _create_override(self, item: PlanItem) -> int:
        spec = item.spec
        override = override_create(
            actor=self.actor,
            schedule=Schedule.objects.select_related("team").get(pk=self.ref(spec["schedule"])),
            user=get_user_model().objects.get(pk=self.ref(spec["person"])),
            start=datetime.datetime.fromisoformat(spec["start"]),
            end=datetime.datetime.fromisoformat(spec["end"]),
        )
        return override.pk

    def _rules(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "delay_minutes": rule["delay_minutes"],
                "high_urgency_only": rule["high_urgency_only"],
                "targets": [
                    {"type": target["type"], "id": self.ref(target["ref"])}
                    for target in rule["targets"]
                ],
            }
            for rule in spec["rules"]
        ]

    def _create_policy(self, item: PlanItem) -> int:
        spec = item.spec
        policy = escalation_policy_create(
            actor=self.actor,
            team=Team.objects.get(pk=self.ref(spec["team"])),
            name=spec["name"],
            rules=self._rules(spec),
            repeat=spec["repeat"],
            description=spec["description"],
        )
        return policy.pk

    def _update_policy(self, item: PlanItem) -> int:
        spec = item.spec
        policy = EscalationPolicy.objects.get(pk=_target(item))
        escalation_policy_update(
            actor=self.actor,
            policy=policy,
            rules=self._rules(spec),
            repeat=spec["repeat"],
            description=spec["description"],
        )
        return policy.pk

    def _create_service(self, item: PlanItem) -> int:
        spec = item.spec
        policy = None
        if spec["policy"]:
            policy = EscalationPolicy.objects.get(pk=self.ref(spec["policy"]))
        service = service_create(
            actor=self.actor,
            team=Team.objects.get(pk=self.ref(spec["team"])),
            name=spec["name"],
            slug=spec["slug"],
            description=spec["description"],
            escalation_policy=policy,
        )
        return service.pk

    def _create_integration(self, item: PlanItem) -> int:
        spec = item.spec
        fields: dict[str, Any] = {}
        if spec["service"]:
            fields["service"] = Service.objects.get(pk=self.ref(spec["service"]))
        integration, issued = integration_create(
            actor=self.actor,
            team=Team.objects.get(pk=self.ref(spec["team"])),
            name=spec["name"],
            kind=spec["kind"],
            **fields,
        )
        if not spec["routing_key"]:
            self.result.new_keys.append((integration.name, issued))
            return integration.pk
        # Keep the sender's key: the integration service issues a new one, so the digest
        # is replaced right after (one transaction: the new key is never usable).
        key = spec["routing_key"]
        if Integration.objects.filter(routing_key_hash=routing_key_hash(key)).exists():
            raise InvalidInput(
                f"Another integration has the key of {item.name} now; show the plan again."
            )
        integration.routing_key_hash = routing_key_hash(key)
        integration.routing_key_hint = key[:6]
        attribute_history(integration, self.actor).save(
            update_fields=["routing_key_hash", "routing_key_hint"]
        )
        return integration.pk


def _target(item: PlanItem) -> int:
    if item.target_id is None:
        raise InvalidInput(f"The plan updates {item.name} without saying which row.")
    return item.target_id


def _messages(error: DomainError) -> str:
    details = [message for messages in error.errors.values() for message in messages]
    return " ".join([error.detail, *details])


@transaction.atomic
def import_apply(*, plan: Plan, actor: AuthUser) -> ApplyResult:
    """Do what ``plan`` says, all or nothing. Running the plan of a second read of an
    unchanged source changes nothing (its items are all matches)."""
    _require_staff(actor)
    now = timezone.now()
    result = _Applier(plan, actor, now).run()
    audit_record(
        action=IMPORT_APPLIED,
        actor=actor,
        target_type="import",
        target_id=plan.source,
        target_label=f"{SOURCE_LABELS.get(plan.source, plan.source)} import",
        details={
            "source": plan.source,
            "read_at": plan.read_at,
            "plan": plan.digest,
            "created": result.created,
            "updated": result.updated,
            "matched": result.matched,
            "skipped": result.skipped,
            "unsupported": len(plan.unsupported),
        },
    )
    return result


__all__ = [
    "IMPORT_APPLIED",
    "ApplyResult",
    "import_apply",
    "import_current",
    "import_plan",
    "import_plan_for_bundle",
]
