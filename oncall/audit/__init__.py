"""The audit log: who did what security-relevant thing, when and from where (sign-ins,
API tokens, roles and memberships, integration keys, admin edits of on-call). Append-only;
pruned after ``AUDIT_RETENTION_DAYS``. See docs/security.md."""
