"""API tokens: personal tokens and team service tokens, stored hashed, shown once, with a
scope and an expiry; rotated and revoked from the profile, the team's tokens page and the
API. See docs/security.md."""
