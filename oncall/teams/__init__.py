"""Teams room: teams, memberships and their roles, SSO group mapping, and the team
scoping every on-call read and write goes through."""
