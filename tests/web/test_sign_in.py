"""Local sign-in with the optional TOTP second factor, SSO rules (email domains, IdP
groups → team memberships) and the SSO settings read from the environment."""

import importlib

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from oncall.teams.models import TeamMembership
from oncall.teams.sso import (
    GroupRule,
    email_domain_allowed,
    groups_from_extra_data,
    parse_team_group_mapping,
    team_memberships_apply_idp_groups,
)
from tests.oncall.factories import TeamFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def local_user(db):
    user = UserFactory(username="lena", email="lena@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_local_account_signs_in_with_password(client, local_user):
    response = client.post("/accounts/login/", {"login": "lena", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_totp_second_factor_is_asked_for_when_enabled(client, local_user):
    secret = generate_totp_secret()
    TOTP.activate(local_user, secret)
    response = client.post("/accounts/login/", {"login": "lena", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and client.get("/").status_code == 302
    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(secret, counter))
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_user_turns_on_totp_from_the_two_factor_page(client, local_user):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    # allauth only lets an account with a verified email address add a second factor.
    EmailAddress.objects.create(
        user=local_user, email=local_user.email, verified=True, primary=True
    )
    client.post("/accounts/login/", {"login": "lena", "password": PASSWORD})
    assert client.get("/accounts/2fa/").status_code == 200
    response = client.get("/accounts/2fa/totp/activate/")
    if response.status_code == 302:  # allauth asks for the password again first
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post(response["Location"], {"password": PASSWORD})
        response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    secret = client.session["mfa.totp.secret"]
    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(secret, counter))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=local_user, type="totp").exists()


def test_team_group_mapping_is_parsed():
    assert parse_team_group_mapping("sre=sre:member, ops-admins=sre:manager,pay=payments") == [
        GroupRule("sre", "sre", "member"),
        GroupRule("ops-admins", "sre", "manager"),
        GroupRule("pay", "payments", "member"),
    ]
    assert parse_team_group_mapping("") == []
    for bad in ("sre", "sre=", "=sre", "sre=sre:owner"):
        with pytest.raises(ImproperlyConfigured):
            parse_team_group_mapping(bad)


def test_email_domains():
    assert email_domain_allowed("a@example.com", [])
    assert email_domain_allowed("a@Example.COM", ["example.com"])
    assert not email_domain_allowed("a@evil.com", ["example.com"])
    assert not email_domain_allowed("a@sub.example.com", ["example.com"])
    assert not email_domain_allowed("", ["example.com"])
    assert not email_domain_allowed(None, ["example.com"])


def test_groups_come_from_the_oidc_claim_or_the_saml_attribute():
    oidc = {"userinfo": {"groups": ["sre", "pay"]}, "id_token": {"groups": ["x"]}}
    assert groups_from_extra_data("openid_connect", oidc) == ["sre", "pay"]
    assert groups_from_extra_data("openid_connect", {"id_token": {"groups": "sre"}}) == ["sre"]
    assert groups_from_extra_data("saml", {"groups": ["sre"], "email": ["a@b"]}) == ["sre"]
    assert groups_from_extra_data("openid_connect", {}) == []


def test_idp_groups_are_applied_to_mapped_teams_only(db):
    sre = TeamFactory(name="SRE", slug="sre", key="SRE")
    payments = TeamFactory(name="Payments", slug="payments", key="PAY")
    mobile = TeamFactory(name="Mobile", slug="mobile", key="MOB")
    user = UserFactory(username="sam")
    TeamMembership.objects.create(team=mobile, user=user, role="member")  # by hand
    rules = parse_team_group_mapping("sre=sre:member,sre-leads=sre:manager,pay=payments")

    def memberships():
        return dict(TeamMembership.objects.filter(user=user).values_list("team__slug", "role"))

    team_memberships_apply_idp_groups(user=user, groups=["sre", "pay", "other"], rules=rules)
    assert memberships() == {"sre": "member", "payments": "member", "mobile": "member"}
    # The highest role wins; a mapped team whose group is gone is left; Mobile untouched.
    team_memberships_apply_idp_groups(user=user, groups=["sre", "sre-leads"], rules=rules)
    assert memberships() == {"sre": "manager", "mobile": "member"}
    team_memberships_apply_idp_groups(user=user, groups=[], rules=rules)
    assert memberships() == {"mobile": "member"}
    # Every change is in the membership history, attributed to the user.
    history = TeamMembership.history.filter(user=user, team=sre).order_by("history_date")
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert {h.history_user_id for h in history} == {user.pk}
    assert payments.memberships.count() == 0


def test_unknown_team_in_the_mapping_is_skipped(db):
    user = UserFactory(username="sam")
    result = team_memberships_apply_idp_groups(
        user=user, groups=["x"], rules=parse_team_group_mapping("x=nowhere")
    )
    assert result == {"nowhere": "member"}
    assert not TeamMembership.objects.filter(user=user).exists()


def _reload_sso_settings(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import config.settings.auth as module

    return importlib.reload(module)


def test_oidc_and_saml_are_configured_from_the_environment(monkeypatch):
    module = _reload_sso_settings(
        monkeypatch,
        OIDC_SERVER_URL="https://idp.example.com/realms/acme",
        OIDC_CLIENT_ID="tocsin",
        OIDC_CLIENT_SECRET="s3cret",
        OIDC_SCOPES="openid email profile groups",
        SAML_ORGANIZATION="acme",
        SAML_IDP_ENTITY_ID="https://idp.example.com/saml",
        SAML_IDP_METADATA_URL="https://idp.example.com/saml/metadata",
        SSO_ALLOWED_EMAIL_DOMAINS="example.com, @Example.org",
        TEAM_GROUP_MAPPING="sre=sre:member",
    )
    try:
        (oidc,) = module.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
        assert oidc["provider_id"] == "sso"
        assert (oidc["client_id"], oidc["secret"]) == ("tocsin", "s3cret")
        assert oidc["settings"] == {
            "server_url": "https://idp.example.com/realms/acme",
            "scope": ["openid", "email", "profile", "groups"],
        }
        (saml,) = module.SOCIALACCOUNT_PROVIDERS["saml"]["APPS"]
        assert saml["client_id"] == "acme"
        assert saml["settings"]["idp"] == {
            "entity_id": "https://idp.example.com/saml",
            "metadata_url": "https://idp.example.com/saml/metadata",
        }
        assert module.SSO_ALLOWED_EMAIL_DOMAINS == ["example.com", "example.org"]
    finally:
        for name in ("OIDC_SERVER_URL", "SAML_ORGANIZATION", "SSO_ALLOWED_EMAIL_DOMAINS"):
            monkeypatch.delenv(name)
        importlib.reload(module)


def test_without_environment_no_sso_provider_is_configured(monkeypatch):
    for name in ("OIDC_SERVER_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "SAML_ORGANIZATION"):
        monkeypatch.delenv(name, raising=False)
    module = _reload_sso_settings(monkeypatch)
    assert module.SOCIALACCOUNT_PROVIDERS == {}


SAML_SETTINGS = {
    "saml": {
        "APPS": [
            {
                "name": "Acme SAML",
                "provider_id": "acme",
                "client_id": "acme",
                "settings": {
                    "attribute_mapping": {"uid": "uid", "email": "email"},
                    "idp": {
                        "entity_id": "https://idp.example.com/saml",
                        "sso_url": "https://idp.example.com/saml/sso",
                        "x509cert": "MIIBfake",
                    },
                },
            }
        ]
    }
}


@override_settings(SOCIALACCOUNT_PROVIDERS=SAML_SETTINGS)
def test_saml_service_provider_metadata_is_served(client, db):
    # python3-saml insists on a real host name in the SP URLs ("testserver" is not).
    response = client.get("/accounts/saml/acme/metadata/", HTTP_HOST="localhost")
    assert response.status_code == 200
    body = response.content.decode()
    assert "EntityDescriptor" in body
    assert "/accounts/saml/acme/acs/" in body


@override_settings(TEAM_GROUP_MAPPING="sre=sre:member")
def test_mappings_from_the_admin_add_to_the_setting(admin_client, db):
    from oncall.teams.models import IdpGroupMapping

    TeamFactory(name="SRE", slug="sre", key="SRE")
    payments = TeamFactory(name="Payments", slug="payments", key="PAY")
    response = admin_client.post(
        "/admin/oncall/idpgroupmapping/add/",
        {"group": "pay-leads", "team": payments.pk, "role": "manager"},
    )
    assert response.status_code == 302
    assert IdpGroupMapping.objects.filter(group="pay-leads", team=payments).exists()
    user = UserFactory(username="sam")
    team_memberships_apply_idp_groups(user=user, groups=["sre", "pay-leads"])
    assert dict(TeamMembership.objects.filter(user=user).values_list("team__slug", "role")) == {
        "sre": "member",
        "payments": "manager",
    }
