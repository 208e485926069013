"""Single sign-on rules: which email domains may sign up through SSO, and how the
identity provider's groups become team memberships at each login.

``TEAM_GROUP_MAPPING = "sre=sre:member,payments-admins=payments:manager"`` maps an IdP
group to a team slug and a role; more rules are edited in the admin (IdP group mappings). At each SSO login the memberships of the teams that
appear in the mapping are made to match the groups the IdP sent: a mapped group adds the
membership (the highest role wins when several groups map to one team), a mapped team
whose groups are no longer sent is left. Teams that are not in the mapping are never
touched, so memberships managed by hand in Tocsin stay as they are.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from common.history import attribute_history
from oncall.teams.models import IdpGroupMapping, Team, TeamMembership, TeamRole
from oncall.teams.signup import invitation_of

logger = logging.getLogger(__name__)


ROLE_RANK = {TeamRole.MEMBER: 0, TeamRole.MANAGER: 1}


@dataclass(frozen=True)
class GroupRule:
    group: str
    team_slug: str
    role: str


def parse_team_group_mapping(raw: str) -> list[GroupRule]:
    """``"sre=sre:member, ops=sre:manager"`` → rules; the role defaults to member."""
    rules = []
    for item in (part.strip() for part in (raw or "").split(",")):
        if not item:
            continue
        group, sep, target = item.partition("=")
        team_slug, _, role = target.partition(":")
        role = (role or TeamRole.MEMBER).strip()
        if not sep or not group.strip() or not team_slug.strip() or role not in TeamRole.values:
            raise ImproperlyConfigured(
                f"TEAM_GROUP_MAPPING entry {item!r} must look like group=team-slug[:member|manager]"
            )
        rules.append(GroupRule(group.strip(), team_slug.strip(), role))
    return rules


def group_rules() -> list[GroupRule]:
    """The rules from the TEAM_GROUP_MAPPING setting plus those edited in the admin."""
    rules = parse_team_group_mapping(settings.TEAM_GROUP_MAPPING)
    rules += [
        GroupRule(group, slug, role)
        for group, slug, role in IdpGroupMapping.objects.values_list("group", "team__slug", "role")
    ]
    return rules


def email_domain_allowed(email: str | None, allowed: Iterable[str]) -> bool:
    allowed = [d.lower() for d in allowed]
    if not allowed:
        return True
    domain = (email or "").rpartition("@")[2].lower()
    return bool(email) and "@" in email and domain in allowed


def groups_from_extra_data(provider: str, extra_data: dict[str, Any]) -> list[str]:
    """The groups an IdP sent: the OIDC groups claim (userinfo, else ID token) or the
    SAML groups attribute."""
    if provider == "saml":
        values = extra_data.get(settings.SAML_GROUPS_ATTRIBUTE) or []
    else:
        claim = settings.OIDC_GROUPS_CLAIM
        values = (extra_data.get("userinfo") or {}).get(claim)
        if values is None:
            values = (extra_data.get("id_token") or {}).get(claim)
        if values is None:
            values = extra_data.get(claim)  # allauth < 65.11 stored the claims flat
    if isinstance(values, str):
        values = [values]
    return [str(v) for v in values or []]


@transaction.atomic
def team_memberships_apply_idp_groups(
    *, user: AbstractBaseUser, groups: Iterable[str], rules: list[GroupRule] | None = None
) -> dict[str, str | None]:
    """Make the user's memberships of mapped teams match the IdP groups. Returns
    {team slug: role or None (left)} for every mapped team."""
    if rules is None:
        rules = group_rules()
    if not rules:
        return {}
    groups = set(groups)
    wanted: dict[str, str | None] = {rule.team_slug: None for rule in rules}
    for rule in rules:
        if rule.group in groups:
            current = wanted[rule.team_slug]
            if current is None or ROLE_RANK[rule.role] > ROLE_RANK[current]:
                wanted[rule.team_slug] = rule.role
    teams = {team.slug: team for team in Team.objects.filter(slug__in=wanted)}
    existing = {
        m.team.slug: m
        for m in TeamMembership.objects.select_for_update()
        .select_related("team")
        .filter(user=user, team__slug__in=wanted)
    }
    for slug, role in wanted.items():
        team = teams.get(slug)
        if team is None:
            logger.warning("TEAM_GROUP_MAPPING names team %r, which does not exist", slug)
            continue
        membership = existing.get(slug)
        if role is None:
            if membership is not None:
                attribute_history(membership, user).delete()
        elif membership is None:
            attribute_history(TeamMembership(team=team, user=user, role=role), user).save()
        elif membership.role != role:
            membership.role = role
            attribute_history(membership, user).save(update_fields=["role"])
    return wanted


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """SSO sign-up for the company's email domains (SSO_ALLOWED_EMAIL_DOMAINS; any
        domain when empty: the IdP vouches for its people), and for anyone who carries a
        valid invitation. Local sign-up being closed (the default) does not close it."""
        if email_domain_allowed(
            getattr(sociallogin.user, "email", ""), settings.SSO_ALLOWED_EMAIL_DOMAINS
        ):
            return True
        return invitation_of(request) is not None


def on_user_logged_in(sender, request, user, sociallogin=None, **kwargs) -> None:
    """allauth's user_logged_in: after an SSO login, apply the IdP's groups."""
    if sociallogin is None:
        return
    account = sociallogin.account
    # account.provider is the app's provider_id ("sso", the SAML organization…); the
    # provider class's id says which protocol it was.
    protocol = account.get_provider(request).id
    team_memberships_apply_idp_groups(
        user=user, groups=groups_from_extra_data(protocol, account.extra_data or {})
    )
