"""Sign-in: local accounts (django-allauth) with optional TOTP (allauth.mfa), and SSO
through a generic OpenID Connect provider and SAML 2.0, both configured from the
environment (or, for more providers, as Social applications in the admin). The apps and
the login-required middleware are listed in config.settings.base.

Environment:
  OIDC_SERVER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET   enable OpenID Connect (all three)
  OIDC_PROVIDER_ID (default "sso"), OIDC_NAME (default "Company SSO"),
  OIDC_SCOPES (default "openid profile email"), OIDC_GROUPS_CLAIM (default "groups"),
  OIDC_PKCE (default on)
  SAML_ORGANIZATION (the URL slug, e.g. "company"), SAML_IDP_ENTITY_ID and either
  SAML_IDP_METADATA_URL or SAML_IDP_SSO_URL + SAML_IDP_X509CERT enable SAML;
  SAML_NAME, SAML_ATTR_UID / SAML_ATTR_EMAIL / SAML_ATTR_FIRST_NAME / SAML_ATTR_LAST_NAME /
  SAML_ATTR_GROUPS name the IdP's attributes.
  SSO_ALLOWED_EMAIL_DOMAINS   comma-separated; sign-up through SSO only for these domains
  SIGNUP_OPEN                 anyone may make a local account at /accounts/signup/
                              (default off: people join by invitation from a team manager)
  TEAM_GROUP_MAPPING          "idp-group=team-slug:role,…" applied at each SSO login
  TRUSTED_CLIENT_IP_HEADER    the header a trusted proxy puts the client's address in
                              (e.g. X-Real-IP); TRUSTED_PROXY_COUNT instead trusts that
                              many X-Forwarded-For hops. Unset: the socket's address only.
  SIGNIN_FAILURES_PER_ACCOUNT (default 5) wrong passwords for one account from one address
  SIGNIN_FAILURES_PER_ADDRESS (default 30) from one address across accounts
  SIGNIN_LOCKOUT_MINUTES      (default 15) the window both are counted over
  AUDIT_RETENTION_DAYS        (default 400, at least 366) how long audit events are kept
"""

from config.settings.env import env_bool, env_int, env_list, env_str

ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
# Sign-up is by invitation (oncall.teams.signup): /accounts/signup/ makes an account only
# for someone who opened a valid invitation link, unless SIGNUP_OPEN. The adapter also
# proposes the browser's time zone at sign-in to people who never chose one.
# oncall.signin's adapter extends the people room's (oncall.contacts.web.accounts) with
# sign-in protection keyed per (address, account).
ACCOUNT_ADAPTER = "oncall.signin.adapter.AccountAdapter"
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", False)

# Every page requires a signed-in user (Django's LoginRequiredMiddleware) except views
# marked @login_not_required (allauth's own, the public status page, signed acknowledge
# links) and these paths: the API authenticates by itself (token or session, 401/403
# rather than a redirect) and /metrics by its bearer token.
LOGIN_REQUIRED_EXEMPT_PATHS = [r"^/api/", r"^/metrics$", r"^/static/", r"^/status/"]

# --- Sign-in protection (oncall.signin, docs/security.md) ----------------------------
# Counted in the default cache, which every process shares (config.settings.base CACHES).
# allauth's "key" for failed logins is (login, address) in our adapter: N wrong passwords
# from one address block that address for that account only; the looser per-address limit
# counts every account.
SIGNIN_FAILURES_PER_ACCOUNT = env_int("SIGNIN_FAILURES_PER_ACCOUNT", 5)
SIGNIN_FAILURES_PER_ADDRESS = env_int("SIGNIN_FAILURES_PER_ADDRESS", 30)
SIGNIN_LOCKOUT_MINUTES = env_int("SIGNIN_LOCKOUT_MINUTES", 15)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{SIGNIN_FAILURES_PER_ADDRESS}/{SIGNIN_LOCKOUT_MINUTES}m/ip,"
        f"{SIGNIN_FAILURES_PER_ACCOUNT}/{SIGNIN_LOCKOUT_MINUTES}m/key"
    ),
}
# Where a request comes from, for these limits and the audit log alike: only a proxy we
# run may say so (allauth reads these two; oncall.audit.addresses reads the same).
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER") or None
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Audit events older than this are pruned by the beat task oncall.audit.prune (at least a
# year is always kept).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 400)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Tocsin")

SOCIALACCOUNT_ADAPTER = "oncall.teams.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# A person who already has a local account with the address the IdP vouches for signs in
# to that account instead of being asked to sign up again.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = env_bool("SSO_EMAIL_AUTHENTICATION", True)
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"

# Sign-up through SSO only for addresses in these domains (empty: any domain).
SSO_ALLOWED_EMAIL_DOMAINS = [
    d.lower().lstrip("@") for d in env_list("SSO_ALLOWED_EMAIL_DOMAINS", [])
]
# "idp-group=team-slug:role,…": team memberships applied from the IdP's groups at each SSO
# login, on top of the mappings edited in the admin.
TEAM_GROUP_MAPPING = env_str("TEAM_GROUP_MAPPING")
# The OpenID Connect claim that lists a person's groups.
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# The SAML attribute that lists a person's groups.
SAML_GROUPS_ATTRIBUTE = env_str("SAML_ATTR_GROUPS", "groups")

SOCIALACCOUNT_PROVIDERS: dict = {}

_oidc = {name: env_str(f"OIDC_{name}") for name in ("SERVER_URL", "CLIENT_ID", "CLIENT_SECRET")}
if all(_oidc.values()):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": env_bool("OIDC_PKCE", True),
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "sso"),
                "name": env_str("OIDC_NAME", "Company SSO"),
                "client_id": _oidc["CLIENT_ID"],
                "secret": _oidc["CLIENT_SECRET"],
                "settings": {
                    "server_url": _oidc["SERVER_URL"],
                    "scope": env_str("OIDC_SCOPES", "openid profile email").split(),
                },
            }
        ],
    }

if env_str("SAML_ORGANIZATION") and env_str("SAML_IDP_ENTITY_ID"):
    _idp = {"entity_id": env_str("SAML_IDP_ENTITY_ID")}
    if env_str("SAML_IDP_METADATA_URL"):
        _idp["metadata_url"] = env_str("SAML_IDP_METADATA_URL")
    else:
        _idp.update(
            sso_url=env_str("SAML_IDP_SSO_URL"),
            slo_url=env_str("SAML_IDP_SLO_URL"),
            x509cert=env_str("SAML_IDP_X509CERT"),
        )
    SOCIALACCOUNT_PROVIDERS["saml"] = {
        "APPS": [
            {
                "name": env_str("SAML_NAME", "Company SAML"),
                "provider_id": env_str("SAML_ORGANIZATION"),
                "client_id": env_str("SAML_ORGANIZATION"),
                "settings": {
                    "attribute_mapping": {
                        "uid": env_str("SAML_ATTR_UID", "uid"),
                        "email": env_str("SAML_ATTR_EMAIL", "email"),
                        "first_name": env_str("SAML_ATTR_FIRST_NAME", "first_name"),
                        "last_name": env_str("SAML_ATTR_LAST_NAME", "last_name"),
                        "email_verified": env_str("SAML_ATTR_EMAIL_VERIFIED", "email_verified"),
                    },
                    "idp": _idp,
                },
            }
        ]
    }
