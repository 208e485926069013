"""The teams' pages: the people in each team, invitations for its managers, and the
page an invited person lands on."""
