"""Staff accounts: invitations, passwords, mandatory two-factor sign-in, roles and server-side sessions."""
